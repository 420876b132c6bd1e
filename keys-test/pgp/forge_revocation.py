#!/usr/bin/env python3
"""TEST-ONLY OpenPGP packet editor for keys-test/pgp/generate.sh.

    forge_revocation.py FORGED_TIME SOFT.rev.asc REAL.rev.asc KEY.pub.asc > OUT.rev.asc
    forge_revocation.py --foreign-issuer KEYID FORGED_TIME REAL.rev.asc KEY.pub.asc > OUT.asc

Rewrites the creation time in the hashed area of the signature in SOFT.rev.asc to FORGED_TIME
(YYYY-MM-DD, UTC), which breaks that signature, and writes an armored key block: the primary key
packet of KEY.pub.asc, the forged revocation, the genuine one(s) of REAL.rev.asc, then the rest of
the key. A forged revocation listed before a genuine one: GnuPG drops the forged one and applies
the genuine one. (A bare certificate of the two signatures is refused whole by GnuPG at the bad
one, so the key-block form is the one that gets a revocation in beside a forged one.)

With --foreign-issuer: the key block with REAL.rev.asc re-dated to FORGED_TIME and its unhashed
issuer key id replaced by KEYID (16 hex digits) placed after the primary key packet. GnuPG finds
no key KEYID, keeps the signature unchecked and exports it again; the key stays unrevoked, and
the hashed issuer fingerprint still names the key.
"""
import base64
import calendar
import sys
import time


def dearmor(text):
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-----BEGIN PGP "))
    body = start + 1
    while lines[body].strip():  # armor headers end at the first blank line
        body += 1
    data = ""
    for line in lines[body + 1:]:
        if line.startswith("=") or line.startswith("-----END PGP "):
            break
        data += line.strip()
    return base64.b64decode(data)


def crc24(data):
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(data):
    encoded = base64.b64encode(data).decode()
    lines = [encoded[i:i + 64] for i in range(0, len(encoded), 64)]
    checksum = base64.b64encode(crc24(data).to_bytes(3, "big")).decode()
    return "\n".join(["-----BEGIN PGP PUBLIC KEY BLOCK-----", "Comment: TEST-ONLY forged revocation", "",
                      *lines, "=" + checksum, "-----END PGP PUBLIC KEY BLOCK-----", ""])


def first_packet(data):
    """(header length, body length) of the packet at the start of data (old or new format)."""
    header = data[0]
    assert header & 0x80, "not OpenPGP data"
    if header & 0x40:
        first = data[1]
        if first < 192:
            return 2, first
        if first < 224:
            return 3, ((first - 192) << 8) + data[2] + 192
        return 6, int.from_bytes(data[2:6], "big")
    width = {0: 1, 1: 2, 2: 4}[header & 0x03]
    return 1 + width, int.from_bytes(data[1:1 + width], "big")


def forge(packet, forged_time):
    header, length = first_packet(packet)
    body = bytearray(packet[header:header + length])
    assert body[0] == 4 and body[1] in (0x20, 0x28), "not a v4 key revocation signature"
    hashed_length = int.from_bytes(body[4:6], "big")
    offset, end = 6, 6 + hashed_length
    while offset < end:
        size = body[offset]
        assert size < 192, "long subpackets are not expected here"
        if body[offset + 1] & 0x7F == 2:  # signature creation time
            body[offset + 2:offset + 6] = forged_time.to_bytes(4, "big")
            return packet[:header] + bytes(body) + packet[header + length:]
        offset += 1 + size
    raise SystemExit("no creation time in the hashed area")


def new_packet(tag, body):
    """A new-format packet header (RFC 4880 section 4.2.2) and body."""
    if len(body) < 192:
        length = bytes([len(body)])
    elif len(body) < 8384:
        length = bytes([((len(body) - 192) >> 8) + 192, (len(body) - 192) & 0xFF])
    else:
        length = b"\xff" + len(body).to_bytes(4, "big")
    return bytes([0xC0 | tag]) + length + body


def with_foreign_issuer(packet, forged_time, key_id):
    """The revocation re-dated to forged_time (which breaks it) with its unhashed area replaced
    by one issuer key id subpacket naming key_id (8 bytes): GnuPG looks for that key, does not
    find it, and keeps the signature unchecked, while its hashed issuer fingerprint still names
    the real key."""
    packet = forge(packet, forged_time)
    header, length = first_packet(packet)
    body = packet[header:header + length]
    hashed_end = 6 + int.from_bytes(body[4:6], "big")
    unhashed_end = hashed_end + 2 + int.from_bytes(body[hashed_end:hashed_end + 2], "big")
    unhashed = bytes([9, 16]) + key_id
    return new_packet(2, body[:hashed_end] + len(unhashed).to_bytes(2, "big") + unhashed + body[unhashed_end:])


def main():
    if sys.argv[1] == "--foreign-issuer":
        key_id = bytes.fromhex(sys.argv[2])
        forged_time = calendar.timegm(time.strptime(sys.argv[3], "%Y-%m-%d"))
        real = dearmor(open(sys.argv[4]).read())
        key = dearmor(open(sys.argv[5]).read())
        header, length = first_packet(real)
        key_header, key_length = first_packet(key)
        primary = key_header + key_length
        forged = with_foreign_issuer(real[:header + length], forged_time, key_id)
        sys.stdout.write(armor(key[:primary] + forged + key[primary:]))
        return
    forged_time = calendar.timegm(time.strptime(sys.argv[1], "%Y-%m-%d"))
    soft = dearmor(open(sys.argv[2]).read())
    real = dearmor(open(sys.argv[3]).read())
    key = dearmor(open(sys.argv[4]).read())
    header, length = first_packet(soft)
    key_header, key_length = first_packet(key)
    primary = key_header + key_length
    sys.stdout.write(armor(key[:primary] + forge(soft[:header + length], forged_time) + real + key[primary:]))


if __name__ == "__main__":
    main()
