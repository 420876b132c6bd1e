#ifndef CHARTWARDEN_CSHIMS_H
#define CHARTWARDEN_CSHIMS_H

#include <archive.h>
#include <archive_entry.h>

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

#endif
