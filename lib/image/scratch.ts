// Grow-only working memory for the synchronous steps of a decode and resize. An intermediate image lives only
// within one call; allocated fresh per request, the dead ArrayBuffers piled up between scavenges
// once V8 had grown its young generation, and only full collections returned them (measured on
// the server: a 320×240 JPEG's p99 at concurrency 1 went from 3 to 17 ms after a burst of large
// photos). One Scratch serves one use at a time: a view it returns is valid until its next call.
export class Scratch {
  #buffer = new ArrayBuffer(0);

  #reserve(bytes: number): ArrayBuffer {
    if (this.#buffer.byteLength < bytes) this.#buffer = new ArrayBuffer(bytes);
    return this.#buffer;
  }

  bytes(length: number): Buffer {
    return Buffer.from(this.#reserve(length), 0, length);
  }

  float32(length: number): Float32Array {
    return new Float32Array(this.#reserve(length * 4), 0, length);
  }

  int32(length: number): Int32Array {
    return new Int32Array(this.#reserve(length * 4), 0, length);
  }
}
