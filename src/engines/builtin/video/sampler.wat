;; The frame sampler's two passes in WebAssembly (SIMD for the vertical one), the same integer
;; arithmetic as renderPlane in sampler.ts, so both give identical bytes. Compiled into
;; sampler-wasm-binary.ts by `node src/engines/builtin/video/build-wasm.mjs`.
;;
;; Tap records are 5 × i32: [start, w0, w1, w2, w3] (unused weights are 0; weights sum to 2^14).
(module
  (memory (export "memory") 1)

  ;; mid[j][i] = (Σk src[(start_j + k) · srcWidth + first + i] · w_jk + 32) >> 6, for i < columns
  ;; rounded up to 16 (mid rows are `stride` u16 apart; `stride` ≥ that; src has 16 bytes of slack).
  (func (export "vertical")
    (param $src i32) (param $srcWidth i32) (param $first i32) (param $columns i32) (param $rows i32)
    (param $taps i32) (param $count i32) (param $mid i32) (param $stride i32)
    (local $j i32) (local $i i32) (local $row i32) (local $p i32) (local $q i32)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local $v v128) (local $lo v128) (local $hi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $round v128)
    (local.set $round (i32x4.splat (i32.const 32)))
    (block $rows_done
      (loop $rows_loop
        (br_if $rows_done (i32.ge_u (local.get $j) (local.get $rows)))
        (local.set $row (i32.add (local.get $src)
          (i32.add (i32.mul (i32.load (local.get $taps)) (local.get $srcWidth)) (local.get $first))))
        (local.set $w0 (i16x8.splat (i32.load offset=4 (local.get $taps))))
        (local.set $w1 (i16x8.splat (i32.load offset=8 (local.get $taps))))
        (local.set $w2 (i16x8.splat (i32.load offset=12 (local.get $taps))))
        (local.set $w3 (i16x8.splat (i32.load offset=16 (local.get $taps))))
        (local.set $q (i32.add (local.get $mid) (i32.shl (i32.mul (local.get $j) (local.get $stride)) (i32.const 1))))
        (local.set $i (i32.const 0))
        (block $cols_done
          (loop $cols_loop
            (br_if $cols_done (i32.ge_u (local.get $i) (local.get $columns)))
            (local.set $p (i32.add (local.get $row) (local.get $i)))
            ;; tap 0
            (local.set $v (v128.load (local.get $p)))
            (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
            (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
            (local.set $a0 (i32x4.add (local.get $round) (i32x4.extmul_low_i16x8_u (local.get $lo) (local.get $w0))))
            (local.set $a1 (i32x4.add (local.get $round) (i32x4.extmul_high_i16x8_u (local.get $lo) (local.get $w0))))
            (local.set $a2 (i32x4.add (local.get $round) (i32x4.extmul_low_i16x8_u (local.get $hi) (local.get $w0))))
            (local.set $a3 (i32x4.add (local.get $round) (i32x4.extmul_high_i16x8_u (local.get $hi) (local.get $w0))))
            ;; tap 1
            (local.set $p (i32.add (local.get $p) (local.get $srcWidth)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
            (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.extmul_low_i16x8_u (local.get $lo) (local.get $w1))))
            (local.set $a1 (i32x4.add (local.get $a1) (i32x4.extmul_high_i16x8_u (local.get $lo) (local.get $w1))))
            (local.set $a2 (i32x4.add (local.get $a2) (i32x4.extmul_low_i16x8_u (local.get $hi) (local.get $w1))))
            (local.set $a3 (i32x4.add (local.get $a3) (i32x4.extmul_high_i16x8_u (local.get $hi) (local.get $w1))))
            (if (i32.gt_u (local.get $count) (i32.const 2))
              (then
                ;; tap 2
                (local.set $p (i32.add (local.get $p) (local.get $srcWidth)))
                (local.set $v (v128.load (local.get $p)))
                (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.extmul_low_i16x8_u (local.get $lo) (local.get $w2))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.extmul_high_i16x8_u (local.get $lo) (local.get $w2))))
                (local.set $a2 (i32x4.add (local.get $a2) (i32x4.extmul_low_i16x8_u (local.get $hi) (local.get $w2))))
                (local.set $a3 (i32x4.add (local.get $a3) (i32x4.extmul_high_i16x8_u (local.get $hi) (local.get $w2))))
                (if (i32.gt_u (local.get $count) (i32.const 3))
                  (then
                    ;; tap 3
                    (local.set $p (i32.add (local.get $p) (local.get $srcWidth)))
                    (local.set $v (v128.load (local.get $p)))
                    (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                    (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                    (local.set $a0 (i32x4.add (local.get $a0) (i32x4.extmul_low_i16x8_u (local.get $lo) (local.get $w3))))
                    (local.set $a1 (i32x4.add (local.get $a1) (i32x4.extmul_high_i16x8_u (local.get $lo) (local.get $w3))))
                    (local.set $a2 (i32x4.add (local.get $a2) (i32x4.extmul_low_i16x8_u (local.get $hi) (local.get $w3))))
                    (local.set $a3 (i32x4.add (local.get $a3) (i32x4.extmul_high_i16x8_u (local.get $hi) (local.get $w3))))))))
            (v128.store (local.get $q)
              (i16x8.narrow_i32x4_u (i32x4.shr_u (local.get $a0) (i32.const 6)) (i32x4.shr_u (local.get $a1) (i32.const 6))))
            (v128.store offset=16 (local.get $q)
              (i16x8.narrow_i32x4_u (i32x4.shr_u (local.get $a2) (i32.const 6)) (i32x4.shr_u (local.get $a3) (i32.const 6))))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $cols_loop)))
        (local.set $taps (i32.add (local.get $taps) (i32.const 20)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $rows_loop))))

  ;; out[j · outWidth + i] = (Σk mid[j][start_i + k] · w_ik + 2^21) >> 22 (start relative to the
  ;; first column; 2 taps, or 4 with zero weights padding 3).
  (func (export "horizontal")
    (param $mid i32) (param $stride i32) (param $rows i32) (param $taps i32) (param $count i32)
    (param $outWidth i32) (param $out i32)
    (local $j i32) (local $i i32) (local $rowMid i32) (local $t i32) (local $p i32) (local $o i32) (local $sum i32)
    (block $rows_done
      (loop $rows_loop
        (br_if $rows_done (i32.ge_u (local.get $j) (local.get $rows)))
        (local.set $rowMid (i32.add (local.get $mid) (i32.shl (i32.mul (local.get $j) (local.get $stride)) (i32.const 1))))
        (local.set $o (i32.add (local.get $out) (i32.mul (local.get $j) (local.get $outWidth))))
        (local.set $t (local.get $taps))
        (local.set $i (i32.const 0))
        (if (i32.le_u (local.get $count) (i32.const 2))
          (then
            (block $two_done
              (loop $two_loop
                (br_if $two_done (i32.ge_u (local.get $i) (local.get $outWidth)))
                (local.set $p (i32.add (local.get $rowMid) (i32.shl (i32.load (local.get $t)) (i32.const 1))))
                (i32.store8 (i32.add (local.get $o) (local.get $i))
                  (i32.shr_u
                    (i32.add
                      (i32.add
                        (i32.mul (i32.load16_u (local.get $p)) (i32.load offset=4 (local.get $t)))
                        (i32.mul (i32.load16_u offset=2 (local.get $p)) (i32.load offset=8 (local.get $t))))
                      (i32.const 2097152))
                    (i32.const 22)))
                (local.set $t (i32.add (local.get $t) (i32.const 20)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $two_loop))))
          (else
            (block $four_done
              (loop $four_loop
                (br_if $four_done (i32.ge_u (local.get $i) (local.get $outWidth)))
                (local.set $p (i32.add (local.get $rowMid) (i32.shl (i32.load (local.get $t)) (i32.const 1))))
                (i32.store8 (i32.add (local.get $o) (local.get $i))
                  (i32.shr_u
                    (i32.add
                      (i32.add
                        (i32.add
                          (i32.mul (i32.load16_u (local.get $p)) (i32.load offset=4 (local.get $t)))
                          (i32.mul (i32.load16_u offset=2 (local.get $p)) (i32.load offset=8 (local.get $t))))
                        (i32.add
                          (i32.mul (i32.load16_u offset=4 (local.get $p)) (i32.load offset=12 (local.get $t)))
                          (i32.mul (i32.load16_u offset=6 (local.get $p)) (i32.load offset=16 (local.get $t)))))
                      (i32.const 2097152))
                    (i32.const 22)))
                (local.set $t (i32.add (local.get $t) (i32.const 20)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $four_loop)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $rows_loop))))
)
