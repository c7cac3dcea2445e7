// What every JavaScript scenario finds as globals: exact decimals, the two errors the
// contract names, and `console`, which writes to the evaluation's log.
(function (global) {
  "use strict";
  // Exact decimals: `mantissa` × 10^-`scale`, the mantissa a number while that is exact, a
  // BigInt beyond (within the contract's 64 bits). `from`, `add`, `sub`, `mul`, `cmp`, `lt`,
  // `lte`, `gt`, `gte` and `eq` are native (sdk/js/engine/src/decimal.rs).
  class Decimal {
    constructor(mantissa, scale) {
      this.mantissa = mantissa;
      this.scale = scale;
    }

    neg() {
      return new Decimal(-this.mantissa, this.scale);
    }

    isZero() { return this.mantissa == 0; }
    isNegative() { return this.mantissa < 0; }

    toString() {
      const m = this.mantissa;
      const negative = m < 0;
      let digits = String(negative ? -m : m);
      if (this.scale > 0) {
        digits = digits.padStart(this.scale + 1, "0");
        digits = `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`;
      }
      return negative ? `-${digits}` : digits;
    }

    toJSON() { return this.toString(); }
  }
  Decimal.ZERO = new Decimal(0, 0);

  class InvalidParams extends Error {
    constructor(message) { super(message); this.name = "InvalidParams"; }
  }
  class Unsupported extends Error {
    constructor(message) { super(message); this.name = "Unsupported"; }
  }

  const write = global.__remiseLog;
  delete global.__remiseLog;
  const text = (args) => args.map((a) => (typeof a === "string" ? a : JSON.stringify(a) ?? String(a))).join(" ");
  global.console = Object.freeze({
    debug: (...args) => write(0, text(args)),
    log: (...args) => write(1, text(args)),
    info: (...args) => write(1, text(args)),
    warn: (...args) => write(2, text(args)),
    error: (...args) => write(3, text(args)),
  });
  global.Decimal = Decimal;
  global.InvalidParams = InvalidParams;
  global.Unsupported = Unsupported;
})(globalThis);
