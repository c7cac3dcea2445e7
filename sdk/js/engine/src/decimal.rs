//! The prelude's `Decimal` arithmetic, native: the contract's exact decimals (an i64
//! mantissa and a scale up to 28) added, multiplied and compared in i128, so a sum over a
//! basket costs a call per line rather than an interpreted method (a fifth of the fuel).

use crate::quick::{int, string, Failure};
use crate::remise::scenario::types::Decimal;
use rquickjs_sys as q;
use std::cell::UnsafeCell;
use std::ffi::{c_char, CStr};

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;
/// The largest scale the contract's decimal carries.
const MAX_SCALE: u32 = 28;

/// `Decimal.prototype` and its two fields' names, kept in the snapshot.
struct Class {
    prototype: q::JSValue,
    mantissa: q::JSAtom,
    scale: q::JSAtom,
}

struct Slot(UnsafeCell<Option<Class>>);

// SAFETY: a WebAssembly instance runs one thread.
unsafe impl Sync for Slot {}

static CLASS: Slot = Slot(UnsafeCell::new(None));

fn class() -> Option<&'static Class> {
    // SAFETY: one thread; written once by `install`, before any script runs.
    unsafe { (*CLASS.0.get()).as_ref() }
}

/// The operations, by the magic number each native method is made with.
const OPERATIONS: &[(&CStr, i32)] = &[
    (c"add", 0),
    (c"sub", 1),
    (c"mul", 2),
    (c"cmp", 3),
    (c"lt", 4),
    (c"lte", 5),
    (c"gt", 6),
    (c"gte", 7),
    (c"eq", 8),
];

/// Puts the native methods on the prelude's `Decimal` (and `Decimal.from`), and returns
/// its prototype.
pub unsafe fn install(ctx: *mut q::JSContext) -> Result<q::JSValue, Failure> {
    let global = q::JS_GetGlobalObject(ctx);
    let constructor = q::JS_GetPropertyStr(ctx, global, c"Decimal".as_ptr());
    q::JS_FreeValue(ctx, global);
    if !q::JS_IsFunction(ctx, constructor) {
        q::JS_FreeValue(ctx, constructor);
        return Err(Failure::new("the prelude defines no Decimal"));
    }
    let prototype = q::JS_GetPropertyStr(ctx, constructor, c"prototype".as_ptr());
    *CLASS.0.get() = Some(Class {
        prototype,
        mantissa: q::JS_NewAtom(ctx, c"mantissa".as_ptr()),
        scale: q::JS_NewAtom(ctx, c"scale".as_ptr()),
    });
    let method = (q::JS_PROP_WRITABLE | q::JS_PROP_CONFIGURABLE) as i32;
    for (name, magic) in OPERATIONS {
        // SAFETY: QuickJS calls a `generic_magic` function with the magic argument.
        let function: q::JSCFunction =
            std::mem::transmute::<q::JSCFunctionMagic, q::JSCFunction>(Some(operation));
        let value = q::JS_NewCFunction2(
            ctx,
            function,
            name.as_ptr(),
            1,
            q::JSCFunctionEnum_JS_CFUNC_generic_magic,
            *magic,
        );
        q::JS_DefinePropertyValueStr(ctx, prototype, name.as_ptr(), value, method);
    }
    let from = q::JS_NewCFunction2(
        ctx,
        Some(from),
        c"from".as_ptr(),
        1,
        q::JSCFunctionEnum_JS_CFUNC_generic,
        0,
    );
    q::JS_DefinePropertyValueStr(ctx, constructor, c"from".as_ptr(), from, method);
    q::JS_FreeValue(ctx, constructor);
    Ok(prototype)
}

/// A new `Decimal` for `mantissa` × 10^-`scale`; `None` when the mantissa does not fit
/// the contract's i64.
pub unsafe fn make(ctx: *mut q::JSContext, mantissa: i128, scale: u32) -> Option<q::JSValue> {
    let class = class()?;
    let mantissa = i64::try_from(mantissa).ok()?;
    let object = q::JS_NewObjectProto(ctx, class.prototype);
    let value = if mantissa.unsigned_abs() <= MAX_SAFE_INTEGER as u64 {
        q::JS_NewNumber(ctx, mantissa as f64)
    } else {
        q::JS_NewBigInt64(ctx, mantissa)
    };
    let flags = q::JS_PROP_C_W_E as i32;
    q::JS_DefinePropertyValue(ctx, object, class.mantissa, value, flags);
    q::JS_DefinePropertyValue(ctx, object, class.scale, int(scale as i32), flags);
    Some(object)
}

/// The basket's amount `value` as a `Decimal`.
pub unsafe fn of(ctx: *mut q::JSContext, value: Decimal) -> q::JSValue {
    make(ctx, i128::from(value.mantissa), u32::from(value.scale)).unwrap_or(q::JS_UNDEFINED)
}

/// A whole number, exactly: a safe-integer number or a BigInt.
unsafe fn whole(ctx: *mut q::JSContext, value: q::JSValue) -> Option<i128> {
    if q::JS_IsBigInt(value) {
        let mut n = 0i64;
        return (q::JS_ToBigInt64(ctx, &mut n, value) == 0).then_some(i128::from(n));
    }
    if q::JS_IsNumber(value) {
        let mut n = f64::NAN;
        q::JS_ToFloat64(ctx, &mut n, value);
        if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER as f64 {
            return Some(n as i128);
        }
    }
    None
}

/// What `value` stands for: a `Decimal`, a whole number, or decimal text; else the reason.
pub unsafe fn read(ctx: *mut q::JSContext, value: q::JSValue) -> Result<(i128, u32), String> {
    if let Some(n) = whole(ctx, value) {
        return Ok((n, 0));
    }
    if q::JS_IsNumber(value) {
        return Err("is not exact: give decimals as strings, such as \"12.34\"".into());
    }
    if q::JS_IsObject(value) {
        if let Some(class) = class() {
            let mantissa = q::JS_GetProperty(ctx, value, class.mantissa);
            let scale = q::JS_GetProperty(ctx, value, class.scale);
            let read = whole(ctx, mantissa).zip(whole(ctx, scale));
            q::JS_FreeValue(ctx, mantissa);
            q::JS_FreeValue(ctx, scale);
            if let Some((mantissa, scale)) = read {
                if (0..=i128::from(MAX_SCALE)).contains(&scale) {
                    return Ok((mantissa, scale as u32));
                }
            }
        }
    }
    let text = string(ctx, value).unwrap_or_default();
    parse(text.trim())
        .map(|d| (i128::from(d.mantissa), u32::from(d.scale)))
        .ok_or_else(|| format!("{text:?} is not a decimal such as \"12.34\""))
}

/// Decimal text such as `-12.34` (at most 28 decimals, a mantissa within i64).
pub fn parse(text: &str) -> Option<Decimal> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    if digits.contains('.') && fraction.is_empty() {
        return None;
    }
    let scale = u8::try_from(fraction.len())
        .ok()
        .filter(|scale| u32::from(*scale) <= MAX_SCALE)?;
    let mut mantissa: i64 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    Some(Decimal {
        mantissa: if negative { -mantissa } else { mantissa },
        scale,
    })
}

/// `m` × 10^`n`, when it fits.
fn scale_up(m: i128, n: u32) -> Option<i128> {
    10i128.checked_pow(n).and_then(|p| m.checked_mul(p))
}

unsafe fn throw(ctx: *mut q::JSContext, kind: &str, message: &str) -> q::JSValue {
    let text = format!("{message}\0");
    let format = c"%s".as_ptr();
    let text = text.as_ptr().cast::<c_char>();
    match kind {
        "range" => q::JS_ThrowRangeError(ctx, format, text),
        _ => q::JS_ThrowTypeError(ctx, format, text),
    }
}

/// `decimal.add(other)` and the rest of [`OPERATIONS`], by `magic`.
unsafe extern "C" fn operation(
    ctx: *mut q::JSContext,
    this: q::JSValue,
    argc: i32,
    argv: *mut q::JSValue,
    magic: i32,
) -> q::JSValue {
    let other = if argc >= 1 { *argv } else { q::JS_UNDEFINED };
    let (a, b) = match (read(ctx, this), read(ctx, other)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(why), _) | (_, Err(why)) => return throw(ctx, "type", &format!("Decimal: {why}")),
    };
    if magic == 2 {
        let scale = a.1 + b.1;
        let product = a.0.checked_mul(b.0).filter(|_| scale <= MAX_SCALE);
        return match product.and_then(|m| make(ctx, m, scale)) {
            Some(value) => value,
            None => throw(
                ctx,
                "range",
                "Decimal: the product has more digits than 19 with a scale up to 28",
            ),
        };
    }
    let scale = a.1.max(b.1);
    let aligned = scale_up(a.0, scale - a.1).zip(scale_up(b.0, scale - b.1));
    let Some((a, b)) = aligned else {
        return throw(ctx, "range", "Decimal: too many digits to align");
    };
    let result = match magic {
        0 => a.checked_add(b),
        1 => a.checked_sub(b),
        _ => {
            let order = a.cmp(&b);
            return match magic {
                3 => int(order as i32),
                4 => boolean(order.is_lt()),
                5 => boolean(order.is_le()),
                6 => boolean(order.is_gt()),
                7 => boolean(order.is_ge()),
                _ => boolean(order.is_eq()),
            };
        }
    };
    match result.and_then(|m| make(ctx, m, scale)) {
        Some(value) => value,
        None => throw(ctx, "range", "Decimal: the result has more than 19 digits"),
    }
}

fn boolean(value: bool) -> q::JSValue {
    if value {
        q::JS_TRUE
    } else {
        q::JS_FALSE
    }
}

/// `Decimal.from(value)`.
unsafe extern "C" fn from(
    ctx: *mut q::JSContext,
    _this: q::JSValue,
    argc: i32,
    argv: *mut q::JSValue,
) -> q::JSValue {
    let value = if argc >= 1 { *argv } else { q::JS_UNDEFINED };
    if let Some(class) = class() {
        if q::JS_IsObject(value) {
            let prototype = q::JS_GetPrototype(ctx, value);
            let same = prototype == class.prototype;
            q::JS_FreeValue(ctx, prototype);
            if same {
                return q::JS_DupValue(ctx, value);
            }
        }
    }
    match read(ctx, value) {
        Ok((mantissa, scale)) => match make(ctx, mantissa, scale) {
            Some(decimal) => decimal,
            None => throw(ctx, "range", "Decimal: more than 19 digits"),
        },
        Err(why) => throw(ctx, "type", &format!("Decimal.from: {why}")),
    }
}
