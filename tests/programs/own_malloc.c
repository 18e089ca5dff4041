/* A malloc of the program's own (linked into leaky_own): a bump allocator over
 * a static arena, a size header before each block, free a no-op. The alloc
 * probe must find these symbols in the executable (it interposes glibc's) and
 * say the allocator is the program's own. Single-threaded use only. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ARENA_BYTES (256u << 20)
#define ALIGN 16

static unsigned char arena[ARENA_BYTES] __attribute__((aligned(ALIGN)));
static size_t used;

static void *bump(size_t size, size_t align)
{
	if (align < ALIGN)
		align = ALIGN;
	size_t at = (used + ALIGN + align - 1) & ~(align - 1); /* room for the header before it */
	if (at + size > ARENA_BYTES)
		return NULL;
	*(size_t *)(arena + at - ALIGN) = size;
	used = at + size;
	return arena + at;
}

void *malloc(size_t size) { return bump(size, ALIGN); }

void free(void *p) { (void)p; }

void *calloc(size_t n, size_t size)
{
	void *p = bump(n * size, ALIGN);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *old, size_t size)
{
	void *p = bump(size, ALIGN);
	if (p && old) {
		size_t was = *(size_t *)((unsigned char *)old - ALIGN);
		memcpy(p, old, was < size ? was : size);
	}
	return p;
}

void *memalign(size_t align, size_t size) { return bump(size, align); }
void *aligned_alloc(size_t align, size_t size) { return bump(size, align); }

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p = bump(size, align);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}
