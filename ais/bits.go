package ais

import "strconv"

// MaxPayloadBits is the longest message the decoder accepts: five radio slots of 256 bits
// (type 26, the longest message type, spans at most five), rounded up to whole characters.
const MaxPayloadBits = 1284

// bitString is a message's payload, unarmoured: bit i of the message is bit 7-i%8 of
// b[i/8]. The array is fixed so that decoding does not allocate; bits past n read as zero.
type bitString struct {
	b       [MaxPayloadBits/8 + 8]byte
	n       int
	scratch [MaxPayloadBits/8 + 8]byte // bits copied to a byte boundary by bits
}

// sixbit maps an armour character to its six-bit value; 0xFF marks characters outside the
// armour ('0'-'W' and '`'-'w').
var sixbit = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for c := 48; c < 88; c++ {
		t[c] = byte(c - 48)
	}
	for c := 96; c < 120; c++ {
		t[c] = byte(c - 56)
	}
	return t
}()

// unarmour decodes the armoured payload p, less fill bits at its end, into bs.
func (bs *bitString) unarmour(p []byte, fill int) error {
	if len(p)*6 > MaxPayloadBits {
		return errorf(0, CauseLength, "payload", strconv.Itoa(len(p))+" characters is longer than any AIS message")
	}
	bs.b = [len(bs.b)]byte{}
	var acc uint32
	nacc := 0
	o := 0
	for i, c := range p {
		v := sixbit[c]
		if v == 0xFF {
			return errorf(0, CausePayload, "payload", "character "+strconv.QuoteRune(rune(c))+" at offset "+strconv.Itoa(i)+" is not six-bit armour")
		}
		acc = acc<<6 | uint32(v)
		nacc += 6
		if nacc >= 8 {
			nacc -= 8
			bs.b[o] = byte(acc >> nacc)
			o++
		}
	}
	if nacc > 0 {
		bs.b[o] = byte(acc << (8 - nacc))
	}
	n := len(p)*6 - fill
	if n < 0 {
		n = 0
	}
	bs.n = n
	// Clear the fill bits so that a field running into them reads zero.
	if r := n % 8; r != 0 {
		bs.b[n/8] &= 0xFF << (8 - r)
		o = n/8 + 1
	} else {
		o = n / 8
	}
	for i := o; i < len(bs.b) && i <= len(p)*6/8; i++ {
		bs.b[i] = 0
	}
	return nil
}

// u returns the unsigned big-endian field of width bits (at most 57) starting at bit start.
func (bs *bitString) u(start, width int) uint64 {
	var v uint64
	first := start >> 3
	last := (start + width - 1) >> 3
	for i := first; i <= last && i < len(bs.b); i++ {
		v = v<<8 | uint64(bs.b[i])
	}
	for i := len(bs.b); i <= last; i++ {
		v <<= 8
	}
	shift := uint(7 - (start+width-1)&7)
	return (v >> shift) & (1<<uint(width) - 1)
}

// i returns the two's-complement field of width bits starting at bit start.
func (bs *bitString) i(start, width int) int64 {
	v := bs.u(start, width)
	if v&(1<<uint(width-1)) != 0 {
		return int64(v) - 1<<uint(width)
	}
	return int64(v)
}

func (bs *bitString) flag(start int) bool { return bs.u(start, 1) == 1 }

// text appends the six-bit text of nchars characters at bit start to dst, stopping at the
// first '@' (the standard's terminator) or the end of the message, and dropping trailing
// spaces (common padding). Characters past the end of the message are not read.
func (bs *bitString) text(dst []byte, start, nchars int) []byte {
	begin := len(dst)
	for k := 0; k < nchars; k++ {
		at := start + 6*k
		if at+6 > bs.n {
			break
		}
		c := byte(bs.u(at, 6))
		if c == 0 {
			break
		}
		if c < 32 {
			c += 64
		}
		dst = append(dst, c)
	}
	end := len(dst)
	for end > begin && dst[end-1] == ' ' {
		end--
	}
	return dst[:end]
}

// bytesFrom returns the bits from start, a multiple of 8, to the end of the message, as bytes
// (the last padded with zero bits, since unarmour clears the bits past the end) and their
// number. The bytes alias bs.
func (bs *bitString) bytesFrom(start int) ([]byte, int) {
	n := bs.n - start
	if n <= 0 {
		return nil, 0
	}
	return bs.b[start/8 : start/8+(n+7)/8], n
}

// bits returns n bits from start, shifted to begin on a byte boundary, as bytes (the last
// padded with zero bits) in bs's scratch space.
func (bs *bitString) bits(start, n int) ([]byte, int) {
	if n <= 0 {
		return nil, 0
	}
	out := bs.scratch[:(n+7)/8]
	for i := range out {
		w := 8
		if rest := n - 8*i; rest < 8 {
			w = rest
		}
		out[i] = byte(bs.u(start+8*i, w) << (8 - w))
	}
	return out, n
}
