#ifndef CHARTWARDEN_CSHIMS_H
#define CHARTWARDEN_CSHIMS_H

#include <archive.h>
#include <archive_entry.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/// The kind of a tar entry, decoded from libarchive's AE_IF* macros (casts Swift cannot import).
typedef enum {
    CW_ENTRY_REGULAR = 0,
    CW_ENTRY_DIRECTORY = 1,
    CW_ENTRY_SYMLINK = 2,
    CW_ENTRY_CHARACTER_DEVICE = 3,
    CW_ENTRY_BLOCK_DEVICE = 4,
    CW_ENTRY_FIFO = 5,
    CW_ENTRY_SOCKET = 6,
    CW_ENTRY_UNKNOWN = 7
} cw_entry_kind;

cw_entry_kind cw_archive_entry_kind(struct archive_entry *entry);

/// Applies ChartWarden's fixed server policy to a fresh SSL_CTX: TLS 1.2–1.3 only, ECDHE + AEAD
/// suites for 1.2, no compression, no renegotiation, server cipher preference, server-side
/// session cache and tickets on, partial writes allowed. Returns 1 on success.
int cw_ssl_ctx_apply_server_policy(SSL_CTX *ctx);

/// Selects ALPN "http/1.1" when the client offers it and no protocol otherwise (never fails the
/// handshake over ALPN).
void cw_ssl_ctx_enable_alpn_http11(SSL_CTX *ctx);

/// The subject alternative names of a certificate (free with `cw_general_names_free`), or NULL:
/// then `*status` is -1 when it has none, -2 when the extension appears twice, and 0 or 1 when
/// it is there but does not decode.
GENERAL_NAMES *cw_x509_subject_alt_names(X509 *cert, int *status);

int cw_general_names_count(const GENERAL_NAMES *names);

/// The GEN_* type of entry `index` of `names`. For a DNS name, URI or email address, also its
/// string: the whole of it, `*data` pointing into `names` and `*type` its ASN.1 string type.
int cw_general_name(const GENERAL_NAMES *names, int index, const unsigned char **data, int *length, int *type);

void cw_general_names_free(GENERAL_NAMES *names);

#endif
