/**
 * Server-side view-only for RFB (docs/architecture.md §5: noVNC's `viewOnly` is a courtesy, not a control).
 * Parses what a viewer's browser sends and forwards only what watching needs: the handshake
 * (with the ClientInit shared flag forced on, so a viewer never disconnects the owner),
 * SetPixelFormat, SetEncodings, FramebufferUpdateRequest, EnableContinuousUpdates and Fence.
 * Key and pointer events, clipboard, desktop resizing, xvp power control and QEMU's extended
 * key and audio messages are dropped; anything it cannot parse ends the connection.
 *
 * Only message headers (at most 12 bytes) are looked at; bodies pass as slices of the chunk or
 * are skipped, so the cost does not grow with the bytes relayed.
 */
export class RfbViewOnlyFilter {
  private phase: 'version' | 'security' | 'auth' | 'init' | 'messages' = 'version';
  private readonly header = Buffer.alloc(12);
  private headerLength = 0;
  /** Bytes of the current message still to come, and whether they are forwarded or dropped. */
  private remaining = 0;
  private forwarding = false;

  /** The part of `chunk` to forward to the server (possibly empty). Throws RfbFilterError on input it cannot parse. */
  filter(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - offset);
        if (this.forwarding) out.push(chunk.subarray(offset, offset + n));
        offset += n;
        this.remaining -= n;
        continue;
      }
      this.header[this.headerLength++] = chunk[offset++] ?? 0;
      const message = this.parse();
      if (message === undefined) continue;
      const header = Buffer.from(this.header.subarray(0, this.headerLength));
      if (message.forward) out.push(message.rewrite?.(header) ?? header);
      this.remaining = message.length - this.headerLength;
      this.forwarding = message.forward;
      this.headerLength = 0;
    }
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /** The message whose header is collected so far: its total length and fate, or undefined while more header is needed. */
  private parse(): { length: number; forward: boolean; rewrite?: (header: Buffer) => Buffer } | undefined {
    const h = this.header;
    const n = this.headerLength;
    switch (this.phase) {
      case 'version': {
        if (n < 12) return undefined;
        const version = /^RFB (\d{3})\.(\d{3})\n$/.exec(h.toString('latin1', 0, 12));
        // 3.3 lets the server pick the security type unseen by the client's stream: not supported for viewers.
        if (!version || Number(version[1]) !== 3 || Number(version[2]) < 7) throw new RfbFilterError('unsupported RFB version');
        this.phase = 'security';
        return { length: 12, forward: true };
      }
      case 'security': {
        const type = h[0];
        if (type !== 1 && type !== 2) throw new RfbFilterError(`unsupported RFB security type ${type}`);
        this.phase = type === 2 ? 'auth' : 'init';
        return { length: 1, forward: true };
      }
      case 'auth':
        this.phase = 'init';
        return { length: 16, forward: true };
      case 'init':
        this.phase = 'messages';
        return { length: 1, forward: true, rewrite: () => Buffer.from([1]) };
      case 'messages':
        return messageOf(h, n);
    }
  }
}

export class RfbFilterError extends Error {
  override name = 'RfbFilterError';
}

/** Client-to-server messages (RFC 6143 §7.5 and the community extensions noVNC sends). */
function messageOf(h: Buffer, n: number): { length: number; forward: boolean } | undefined {
  const type = h[0] as number;
  switch (type) {
    case 0: // SetPixelFormat
      return { length: 20, forward: true };
    case 2: // SetEncodings
      return n < 4 ? undefined : { length: 4 + 4 * h.readUInt16BE(2), forward: true };
    case 3: // FramebufferUpdateRequest
      return { length: 10, forward: true };
    case 4: // KeyEvent
      return { length: 8, forward: false };
    case 5: // PointerEvent
      return { length: 6, forward: false };
    case 6: // ClientCutText; a negative length is the extended clipboard format
      return n < 8 ? undefined : { length: 8 + Math.abs(h.readInt32BE(4)), forward: false };
    case 150: // EnableContinuousUpdates
      return { length: 10, forward: true };
    case 248: // ClientFence
      return n < 9 ? undefined : { length: 9 + (h[8] as number), forward: true };
    case 250: // xvp: shutdown, reboot, reset
      return { length: 4, forward: false };
    case 251: // SetDesktopSize
      return n < 8 ? undefined : { length: 8 + 16 * (h[6] as number), forward: false };
    case 253: // gii; the high bit of byte 1 says big-endian
      return n < 4 ? undefined : { length: 4 + ((h[1] as number) & 0x80 ? h.readUInt16BE(2) : h.readUInt16LE(2)), forward: false };
    case 255: {
      // QEMU: extended key event, audio
      if (n < 2) return undefined;
      if (h[1] === 0) return { length: 12, forward: false };
      if (h[1] !== 1) throw new RfbFilterError(`unknown QEMU RFB message ${h[1]}`);
      if (n < 4) return undefined;
      const operation = h.readUInt16BE(2);
      if (operation === 0 || operation === 1) return { length: 4, forward: false };
      if (operation === 2) return { length: 10, forward: false };
      throw new RfbFilterError(`unknown QEMU audio operation ${operation}`);
    }
    default:
      throw new RfbFilterError(`unknown RFB message type ${type}`);
  }
}
