// A streaming UTF-8 decoder: the mini-program runtime has no TextDecoder
// everywhere, and chunks of a stream may split a character in two.

/**
 * Utf8Decoder turns byte chunks (ArrayBuffer or Uint8Array) into text,
 * keeping the bytes of a character cut at a chunk's end for the next one.
 * Malformed bytes become U+FFFD.
 */
class Utf8Decoder {
  constructor() {
    this.pending = [];
  }

  /** decode returns the text of chunk plus any character it completes. */
  decode(chunk) {
    const input = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk || new ArrayBuffer(0));
    const bytes = this.pending.length ? Uint8Array.from(this.pending.concat(Array.from(input))) : input;
    this.pending = [];
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i];
      let need = 0;
      let cp = 0;
      if (b < 0x80) {
        out += String.fromCharCode(b);
        i++;
        continue;
      } else if (b >= 0xc2 && b < 0xe0) {
        need = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b < 0xf0) {
        need = 2;
        cp = b & 0x0f;
      } else if (b >= 0xf0 && b < 0xf5) {
        need = 3;
        cp = b & 0x07;
      } else {
        out += '\ufffd';
        i++;
        continue;
      }
      if (i + need >= bytes.length && continuations(bytes, i + 1)) {
        // The character continues in the next chunk.
        this.pending = Array.from(bytes.subarray(i));
        break;
      }
      let ok = true;
      for (let k = 1; k <= need; k++) {
        const c = bytes[i + k];
        if (c === undefined || (c & 0xc0) !== 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (c & 0x3f);
      }
      if (!ok || (need === 2 && cp < 0x800) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) {
        out += '\ufffd';
        i++;
        continue;
      }
      out += String.fromCodePoint(cp);
      i += need + 1;
    }
    return out;
  }
}

// continuations reports whether every byte from i on is a continuation byte.
function continuations(bytes, i) {
  for (let k = i; k < bytes.length; k++) if ((bytes[k] & 0xc0) !== 0x80) return false;
  return true;
}

module.exports = { Utf8Decoder };
