/* Go's binary.Uvarint, shared by the compiled kernels (_kdecode.c, v1/_kv1scan.c). */
#ifndef TRACETUI_UVARINT_H
#define TRACETUI_UVARINT_H

#include <Python.h>
#include <stdint.h>

/* One uvarint at buf[*pos:end] (*pos moves past it): 0 if it is malformed, cut, over 10
 * bytes or overflows 64 bits, as Go's binary.Uvarint rejects. */
static inline int uvarint(const uint8_t *buf, Py_ssize_t *pos, Py_ssize_t end, uint64_t *v) {
    uint64_t x = 0;
    Py_ssize_t p = *pos;
    for (int j = 0; j < 10; j++) {
        if (p >= end) return 0;
        uint8_t c = buf[p++];
        if (c < 0x80) {
            if (j == 9 && c > 1) return 0;
            *v = x | ((uint64_t)c << (7 * j));
            *pos = p;
            return 1;
        }
        x |= (uint64_t)(c & 0x7F) << (7 * j);
    }
    return 0;
}

#endif
