// The index math of the convolution GEMMs, shared by the kernels that compute them
// (conv_gemm.comp, and the cooperative-matrix kernel): what the rows, columns and depth of
// each mode are, how an operand element is gathered, and where a result goes. Needs MODE
// (a constant) and the conv_gemm push block `pc` (shaders/push.h) declared before it.
//
//   C[row, col] = sum_k A[row, k] * B[k, col]
//   CONV_GATHER:  row = m, col = output position (oy, ox) of a sample, k = (c, kh, kw)
//   CONV_SCATTER: row = m, col = (qy, qx), k = (c, jy, jx), for one stride phase (ry, rx):
//                 the outputs oy = first.y + stride * qy, and only the taps kh = ry + stride * jy
//                 that reach them, so that no tap multiplies an implicit zero
//   CONV_WEIGHT:  row = m, col = (c, kh, kw), k = (n, oy, ox)
//
// Why phases: a stride-s transposed convolution (and the input gradient of a stride-s
// convolution) reads input (o + pad - k) / s only where s divides o + pad - k. The outputs with
// (o + pad) % s == r are a dense convolution with the taps k = r + s * j: s^2 of them with
// ceil(K / s)^2 taps each, instead of one with K^2 taps of which (s^2 - 1) / s^2 are zero.
// Workgroup z counts (slice * n + sample) * phases + phase.

// The kernel geometry: specialization constants where the pipeline was built for one
// (FIXED_GEOMETRY, vk_conv_variant.c), so that the compiler folds the divisions by them; else
// the push constants.
layout(constant_id = 6) const uint FIXED_GEOMETRY = 0;
layout(constant_id = 7) const uint FIXED_KH = 1;
layout(constant_id = 8) const uint FIXED_KW = 1;
layout(constant_id = 9) const uint FIXED_STRIDE = 1;
layout(constant_id = 10) const uint FIXED_PAD = 0;
uint conv_kh() { return FIXED_GEOMETRY != 0u ? FIXED_KH : pc.kh; }
uint conv_kw() { return FIXED_GEOMETRY != 0u ? FIXED_KW : pc.kw; }
uint conv_stride() { return FIXED_GEOMETRY != 0u ? FIXED_STRIDE : pc.stride; }
uint conv_pad() { return FIXED_GEOMETRY != 0u ? FIXED_PAD : pc.pad; }

uint conv_phases() { return MODE == CONV_SCATTER ? conv_stride() * conv_stride() : 1u; }
// Taps per phase (CONV_SCATTER) or per kernel (the others) along y and x.
uvec2 conv_taps()
{
    uvec2 k = uvec2(conv_kh(), conv_kw());
    return MODE == CONV_SCATTER ? (k + conv_stride() - 1u) / conv_stride() : k;
}
// Columns of a phase's outputs along y and x (CONV_SCATTER), or the output size.
uvec2 conv_grid()
{
    uvec2 o = uvec2(pc.ho, pc.wo);
    return MODE == CONV_SCATTER ? (o + conv_stride() - 1u) / conv_stride() : o;
}
uint conv_gemm_cols()
{
    if (MODE == CONV_WEIGHT)
        return pc.c * conv_kh() * conv_kw();
    uvec2 g = conv_grid();
    return g.x * g.y;
}
uint conv_gemm_depth()
{
    if (MODE == CONV_WEIGHT)
        return pc.n * pc.ho * pc.wo;
    uvec2 t = conv_taps();
    return pc.c * t.x * t.y;
}

// A workgroup's share: its sample (unused by CONV_WEIGHT), depth slice and stride phase.
struct ConvPart {
    uint batch_index, slice; // the sample (GLSL reserves "sample")
    uvec2 phase; // (ry, rx): (o + pad) % stride of its outputs
    uvec2 first; // its first output (oy, ox)
    uvec2 base;  // the input row and column that tap 0 of its first output reads
};

ConvPart conv_part(uint z)
{
    ConvPart p;
    uint phases = conv_phases(), phase = z % phases, rest = z / phases;
    p.slice = MODE == CONV_WEIGHT ? rest : rest / pc.n;
    p.batch_index = MODE == CONV_WEIGHT ? 0u : rest % pc.n;
    p.phase = uvec2(phase / conv_stride(), phase % conv_stride());
    if (MODE != CONV_SCATTER)
        p.phase = uvec2(0u);
    uint s = MODE == CONV_SCATTER ? conv_stride() : 1u, pad = conv_pad() % s;
    p.first = (p.phase + s - pad) % s;
    p.base = (p.first + conv_pad() - p.phase) / s; // exact: s divides it
    return p;
}

// A column's indices: (oy, ox, -), (qy, qx, -) or (c, kh, kw).
uvec3 conv_col_index(uint col)
{
    if (MODE == CONV_WEIGHT) {
        uint kk = conv_kh() * conv_kw();
        return uvec3(col / kk, (col % kk) / conv_kw(), col % conv_kw());
    }
    uint w = conv_grid().y;
    return uvec3(col / w, col % w, 0u);
}

// A depth index's parts: (c, kh, kw), (c, jy, jx) or (n, oy, ox).
uvec3 conv_depth_index(uint k)
{
    uvec2 t = MODE == CONV_WEIGHT ? uvec2(pc.ho, pc.wo) : conv_taps();
    uint outer = t.x * t.y;
    return uvec3(k / outer, (k % outer) / t.y, k % t.y);
}

uint conv_weight_index(uint m, uvec3 tap) { return m * pc.w_sm + tap.x * pc.w_sc + tap.y * conv_kw() + tap.z; }

// The kernel tap of a phase's depth index, or false past the kernel (when s does not divide K).
bool conv_phase_tap(uvec3 d, ConvPart p, out uvec3 tap)
{
    tap = uvec3(d.x, p.phase + conv_stride() * d.yz);
    return tap.y < conv_kh() && tap.z < conv_kw();
}

// The input (binding 1) at sample n, channel c, row iy, column ix; 0 outside it.
float conv_input(uint n, uint c, int iy, int ix)
{
    if (iy < 0 || ix < 0 || iy >= int(pc.hi) || ix >= int(pc.wi))
        return 0.0;
    return LD(1, ((n * pc.c + c) * pc.hi + uint(iy)) * pc.wi + uint(ix));
}

// The input a strided convolution reads at tap (ky, kx) of output (oy, ox).
float conv_input_at(uint n, uint c, uint ky, uint kx, uint oy, uint ox)
{
    return conv_input(n, c, int(oy * conv_stride() + ky) - int(conv_pad()),
                      int(ox * conv_stride() + kx) - int(conv_pad()));
}

// A[row, k]: the weights (binding 2), or for CONV_WEIGHT the tensor a (binding 2, [N,M,Ho,Wo]).
float conv_load_a(uint row, uvec3 d, ConvPart p)
{
    if (MODE == CONV_WEIGHT)
        return LD(2, ((d.x * pc.m + row) * pc.ho + d.y) * pc.wo + d.z);
    uvec3 tap = d;
    if (MODE == CONV_SCATTER && !conv_phase_tap(d, p, tap))
        return 0.0;
    return LD(2, conv_weight_index(row, tap));
}

// B[k, col] for the column's indices col (conv_col_index).
float conv_load_b(uvec3 col, uvec3 d, ConvPart p)
{
    if (MODE == CONV_WEIGHT)
        return conv_input_at(d.x, col.x, col.y, col.z, d.y, d.z);
    if (MODE == CONV_GATHER)
        return conv_input_at(p.batch_index, d.x, d.y, d.z, col.x, col.y);
    uvec3 tap;
    if (!conv_phase_tap(d, p, tap))
        return 0.0;
    return conv_input(p.batch_index, d.x, int(p.base.x + col.x) - int(d.y),
                      int(p.base.y + col.y) - int(d.z));
}

// Where column col of C goes: its offset within a row of the output (or of the weight
// gradient), or 0xffffffff past the edge. A thread storing several rows of a column asks once:
// the decomposition divides.
uint conv_out_column(uint col, ConvPart p)
{
    if (col >= conv_gemm_cols())
        return 0xffffffffu;
    uvec3 ci = conv_col_index(col);
    if (MODE == CONV_WEIGHT)
        return ci.x * pc.w_sc + ci.y * conv_kw() + ci.z;
    uvec2 pos = MODE == CONV_SCATTER ? p.first + conv_stride() * ci.xy : ci.xy;
    if (pos.x >= pc.ho || pos.y >= pc.wo)
        return 0xffffffffu;
    return pos.x * pc.wo + pos.y;
}

// Writes C[row, col] = v for col's conv_out_column `at`: the output (binding 0) with bias
// (binding 3) and accumulation as the flags say, a later slice's partial sums to binding 4, or
// the weight gradient slice's; nothing past the edge.
void conv_store_at(uint row, uint at, ConvPart p, float v)
{
    if (row >= pc.m || at == 0xffffffffu)
        return;
    uint o;
    if (MODE == CONV_WEIGHT) {
        o = p.slice * pc.m * conv_gemm_cols() + row * pc.w_sm + at;
    } else {
        uint plane = pc.ho * pc.wo;
        if (p.slice > 0u) {
            ST(4, ((p.slice - 1u) * pc.n + p.batch_index) * pc.m * plane + row * plane + at, v);
            return;
        }
        o = (p.batch_index * pc.m + row) * plane + at;
        if ((pc.flags & CONV_BIAS) != 0u)
            v += LD(3, row);
    }
    if ((pc.flags & CONV_ACCUMULATE) != 0u)
        v += LD(0, o);
    ST(0, o, v);
}

void conv_store(uint row, uint col, ConvPart p, float v)
{
    conv_store_at(row, conv_out_column(col, p), p, v);
}
