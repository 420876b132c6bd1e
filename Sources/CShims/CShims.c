#include "CShims.h"

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
