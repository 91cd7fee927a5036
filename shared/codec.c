/* Blob storage codec: raw or zstd with an optional dictionary. See codec.h. */
#include "codec.h"

#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

#include "ccerr.h"
#include "util.h"

struct codec_dict {
    uint32_t id;
    ZSTD_CDict *cdict;
    ZSTD_DDict *ddict;
};

int codec_dict_new(const void *buf, size_t len, struct codec_dict **out)
{
    *out = NULL;
    uint32_t id = (uint32_t)ZDICT_getDictID(buf, len);
    if (!id)
        return CC_EINVALID;
    struct codec_dict *d = xcalloc(1, sizeof *d);
    d->id = id;
    d->cdict = ZSTD_createCDict(buf, len, CODEC_ZSTD_LEVEL);
    d->ddict = ZSTD_createDDict(buf, len);
    if (!d->cdict || !d->ddict) {
        codec_dict_free(d);
        return CC_EINTERNAL;
    }
    *out = d;
    return 0;
}

uint32_t codec_dict_id(const struct codec_dict *d) { return d->id; }

int codec_dict_peek_id(const void *buf, size_t len, uint32_t *id)
{
    *id = (uint32_t)ZDICT_getDictID(buf, len);
    return *id ? 0 : CC_EINVALID;
}

void codec_dict_free(struct codec_dict *d)
{
    if (!d)
        return;
    ZSTD_freeCDict(d->cdict);
    ZSTD_freeDDict(d->ddict);
    free(d);
}

static void put_header(struct ccbuf *out, enum codec_id codec, uint32_t dict_id)
{
    uint8_t h[CODEC_HEADER_LEN] = {(uint8_t)codec};
    put_be32(h + 1, dict_id);
    ccbuf_append(out, h, sizeof h);
}

int codec_encode(const struct kind *kind, const uint8_t *in, size_t len,
                 const struct codec_dict *dict, struct ccbuf *out)
{
    if (len > kind->max_bytes)
        return CC_ETOOLARGE;
    if (!kind->compress) {
        put_header(out, CODEC_RAW, 0);
        ccbuf_append(out, in, len);
        return 0;
    }
    size_t len0 = out->len, bound = ZSTD_compressBound(len);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    if (!cctx)
        return CC_EINTERNAL;
    put_header(out, CODEC_ZSTD, dict ? dict->id : 0);
    /* With a CDict the level is the dictionary's (also CODEC_ZSTD_LEVEL). */
    size_t rc = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, CODEC_ZSTD_LEVEL);
    if (!ZSTD_isError(rc))
        rc = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    if (!ZSTD_isError(rc) && dict)
        rc = ZSTD_CCtx_refCDict(cctx, dict->cdict);
    if (!ZSTD_isError(rc))
        rc = ZSTD_compress2(cctx, ccbuf_reserve(out, bound), bound, in, len);
    ZSTD_freeCCtx(cctx);
    if (ZSTD_isError(rc)) {
        out->len = len0;
        return CC_EINTERNAL;
    }
    out->len += rc;
    return 0;
}

int codec_header(const uint8_t *stored, size_t len, enum codec_id *codec, uint32_t *dict_id)
{
    if (len < CODEC_HEADER_LEN || stored[0] > CODEC_ZSTD)
        return CC_EINTERNAL;
    *codec = (enum codec_id)stored[0];
    *dict_id = get_be32(stored + 1);
    return 0;
}

int codec_decode(const uint8_t *stored, size_t len, size_t max_bytes, codec_dict_fn lookup,
                 void *user, struct ccbuf *out)
{
    enum codec_id codec;
    uint32_t dict_id;
    int rc = codec_header(stored, len, &codec, &dict_id);
    if (rc)
        return rc;
    const uint8_t *p = stored + CODEC_HEADER_LEN;
    size_t n = len - CODEC_HEADER_LEN;
    if (codec == CODEC_RAW) {
        if (dict_id)
            return CC_EINTERNAL;
        if (n > max_bytes)
            return CC_ETOOLARGE;
        ccbuf_append(out, p, n);
        return 0;
    }
    /* Exactly one frame, declaring its size: the bound is checked before allocating. */
    unsigned long long size = ZSTD_getFrameContentSize(p, n);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        ZSTD_findFrameCompressedSize(p, n) != n)
        return CC_EINTERNAL;
    if (size > max_bytes)
        return CC_ETOOLARGE;
    if (ZSTD_getDictID_fromFrame(p, n) != dict_id)
        return CC_EINTERNAL; /* header and frame disagree */
    const struct codec_dict *dict = NULL;
    if (dict_id && !(dict = lookup ? lookup(dict_id, user) : NULL))
        return CC_ENOTFOUND;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx)
        return CC_EINTERNAL;
    uint8_t *dst = ccbuf_reserve(out, (size_t)size);
    size_t got = dict ? ZSTD_decompress_usingDDict(dctx, dst, (size_t)size, p, n, dict->ddict)
                      : ZSTD_decompressDCtx(dctx, dst, (size_t)size, p, n);
    ZSTD_freeDCtx(dctx);
    if (ZSTD_isError(got) || got != size)
        return CC_EINTERNAL;
    out->len += got;
    return 0;
}

int codec_train_dict(const void *samples, const size_t *sizes, unsigned n, struct ccbuf *dict_out,
                     uint32_t *id)
{
    uint8_t *dst = ccbuf_reserve(dict_out, CODEC_DICT_BYTES);
    size_t got = ZDICT_trainFromBuffer(dst, CODEC_DICT_BYTES, samples, sizes, n);
    if (ZDICT_isError(got))
        return CC_EINVALID;
    *id = (uint32_t)ZDICT_getDictID(dst, got);
    dict_out->len += got;
    return 0;
}
