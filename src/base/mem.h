/* Internal allocation helpers over weft_mem (NULL = libc). */
#ifndef WEFT_BASE_MEM_H
#define WEFT_BASE_MEM_H

#include <stddef.h>

#include "weft/weft.h"

/* Exported from the shared library (not part of the public headers) because
 * libweft_loop, a separate shared library, allocates through them too. */
WEFT_EXTERN void *weft_malloc(const weft_mem *mem, size_t size);
WEFT_EXTERN void *weft_calloc(const weft_mem *mem, size_t nmemb, size_t size);
WEFT_EXTERN void *weft_realloc(const weft_mem *mem, void *ptr, size_t size);
WEFT_EXTERN void weft_free(const weft_mem *mem, void *ptr);

#endif
