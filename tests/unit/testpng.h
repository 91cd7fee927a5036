/* Test helper: decodes a PNG made by a renderer into one RGBA buffer to check pixels. */
#ifndef CC_TESTPNG_H
#define CC_TESTPNG_H

#include <stddef.h>
#include <stdint.h>

struct testimg {
    uint32_t w, h;
    uint8_t *rgba; /* w * h * 4, malloc'd */
};

/* Decodes buf (any size up to 16384×16384) or fails the test. Free im->rgba. */
void testpng_decode(const uint8_t *buf, size_t len, struct testimg *im);

/* The pixel at (x, y) as 0xRRGGBB; testimg_alpha its alpha. */
uint32_t testimg_rgb(const struct testimg *im, uint32_t x, uint32_t y);
uint8_t testimg_alpha(const struct testimg *im, uint32_t x, uint32_t y);

#endif
