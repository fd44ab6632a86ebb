/* Allocation through weft_mem hooks; NULL means libc. */
#include "base/mem.h"

#include <stdlib.h>

static void *libc_malloc(size_t size, void *ud) {
  (void)ud;
  return malloc(size);
}
static void libc_free(void *p, void *ud) {
  (void)ud;
  free(p);
}
static void *libc_calloc(size_t n, size_t size, void *ud) {
  (void)ud;
  return calloc(n, size);
}
static void *libc_realloc(void *p, size_t size, void *ud) {
  (void)ud;
  return realloc(p, size);
}

static const weft_mem libc_mem = {NULL, libc_malloc, libc_free, libc_calloc,
                                  libc_realloc};

const weft_mem *weft_mem_default(void) {
  return &libc_mem;
}

void *weft_malloc(const weft_mem *mem, size_t size) {
  mem = mem ? mem : &libc_mem;
  return mem->malloc(size, mem->user_data);
}

void *weft_calloc(const weft_mem *mem, size_t nmemb, size_t size) {
  mem = mem ? mem : &libc_mem;
  return mem->calloc(nmemb, size, mem->user_data);
}

void *weft_realloc(const weft_mem *mem, void *ptr, size_t size) {
  mem = mem ? mem : &libc_mem;
  return mem->realloc(ptr, size, mem->user_data);
}

void weft_free(const weft_mem *mem, void *ptr) {
  if (ptr == NULL)
    return;
  mem = mem ? mem : &libc_mem;
  mem->free(ptr, mem->user_data);
}
