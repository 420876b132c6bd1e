#include "CShims.h"
#include <string.h>

cw_entry_kind cw_archive_entry_kind(struct archive_entry *entry) {
    switch (archive_entry_filetype(entry)) {
    case AE_IFREG: return CW_ENTRY_REGULAR;
    case AE_IFDIR: return CW_ENTRY_DIRECTORY;
    case AE_IFLNK: return CW_ENTRY_SYMLINK;
    case AE_IFCHR: return CW_ENTRY_CHARACTER_DEVICE;
    case AE_IFBLK: return CW_ENTRY_BLOCK_DEVICE;
    case AE_IFIFO: return CW_ENTRY_FIFO;
    case AE_IFSOCK: return CW_ENTRY_SOCKET;
    default: return CW_ENTRY_UNKNOWN;
    }
}

static const char *cw_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

static const unsigned char cw_session_context[] = "chartwarden";

int cw_ssl_ctx_apply_server_policy(SSL_CTX *ctx) {
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return 0;
    if (SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) return 0;
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(ctx, cw_tls12_ciphers) != 1) return 0;
    if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) return 0;
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    if (SSL_CTX_set_session_id_context(ctx, cw_session_context, sizeof(cw_session_context) - 1) != 1) return 0;
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                          SSL_MODE_RELEASE_BUFFERS);
    return 1;
}

static int cw_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char supported[] = "\x08http/1.1";
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, supported, sizeof(supported) - 1, in, inlen)
        == OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

void cw_ssl_ctx_enable_alpn_http11(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, cw_alpn_select, NULL);
}

GENERAL_NAMES *cw_x509_subject_alt_names(X509 *cert, int *status) {
    return X509_get_ext_d2i(cert, NID_subject_alt_name, status, NULL);
}

int cw_general_names_count(const GENERAL_NAMES *names) {
    return sk_GENERAL_NAME_num(names);
}

int cw_general_name(const GENERAL_NAMES *names, int index, const unsigned char **data, int *length, int *type) {
    *data = NULL;
    *length = 0;
    *type = -1;
    if (index < 0 || index >= sk_GENERAL_NAME_num(names)) return -1;
    int kind = 0;
    const ASN1_STRING *value = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, index), &kind);
    if (value != NULL && (kind == GEN_DNS || kind == GEN_URI || kind == GEN_EMAIL)) {
        *data = ASN1_STRING_get0_data(value);
        *length = ASN1_STRING_length(value);
        *type = ASN1_STRING_type(value);
    }
    return kind;
}

void cw_general_names_free(GENERAL_NAMES *names) {
    GENERAL_NAMES_free(names);
}
