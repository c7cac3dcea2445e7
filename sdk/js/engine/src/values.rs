//! The contract's values as JavaScript values, built through QuickJS's C API (three times
//! cheaper than JSON text), and the scenario's answers read back into the contract's types.

use crate::decimal;
use crate::quick::{int, new_string, string, Failure};
use crate::remise::scenario::types::{
    Basket, Context, Date, Decimal, Discount, DiscountValue, Effect, Gift, LineTarget,
    ParamProblem, PoolRange, Target,
};
use rquickjs_sys as q;
use std::ffi::c_char;

macro_rules! atoms {
    ($($field:ident = $name:literal),* $(,)?) => {
        /// Property names, made once before the snapshot.
        pub struct Atoms { $(pub $field: q::JSAtom,)* }

        impl Atoms {
            pub unsafe fn new(ctx: *mut q::JSContext) -> Atoms {
                Atoms { $($field: q::JS_NewAtom(ctx, concat!($name, "\0").as_ptr().cast::<c_char>()),)* }
            }
        }
    };
}

atoms! {
    index = "index", id = "id", sku = "sku", quantity = "quantity", unit_price = "unitPrice",
    categories = "categories", brand = "brand", attributes = "attributes", currency = "currency",
    lines = "lines", customer = "customer", loyalty_tier = "loyaltyTier", segments = "segments",
    birthdate = "birthdate", year = "year", month = "month", day = "day", channel = "channel",
    store = "store", unix_seconds = "unixSeconds", utc_offset_minutes = "utcOffsetMinutes",
    local_date = "localDate", discount = "discount", gift = "gift", points = "points",
    message = "message", target = "target", line = "line", units = "units", percent = "percent",
    amount = "amount", fixed_price = "fixedPrice", pointer = "pointer", value = "value",
}

/// The basket's symbols as JS strings, each made at most once per call.
pub struct Strings<'a> {
    basket: &'a Basket,
    made: Vec<q::JSValue>,
}

impl<'a> Strings<'a> {
    pub fn new(basket: &'a Basket) -> Self {
        Strings {
            basket,
            made: vec![q::JS_UNINITIALIZED; basket.symbol_ends.len()],
        }
    }

    fn text(&self, symbol: u32) -> &'a str {
        let ends = &self.basket.symbol_ends;
        let i = symbol as usize;
        let end = ends.get(i).copied().unwrap_or(0) as usize;
        let start = if i == 0 { 0 } else { ends[i - 1] as usize };
        self.basket.text.get(start..end).unwrap_or("")
    }

    /// A new reference to symbol `symbol`'s string.
    unsafe fn get(&mut self, ctx: *mut q::JSContext, symbol: u32) -> q::JSValue {
        let text = self.text(symbol);
        let Some(slot) = self.made.get_mut(symbol as usize) else {
            return new_string(ctx, "");
        };
        if q::JS_IsUninitialized(*slot) {
            *slot = new_string(ctx, text);
        }
        q::JS_DupValue(ctx, *slot)
    }

    pub unsafe fn free(self, ctx: *mut q::JSContext) {
        for value in self.made {
            q::JS_FreeValue(ctx, value);
        }
    }
}

unsafe fn set(ctx: *mut q::JSContext, object: q::JSValue, atom: q::JSAtom, value: q::JSValue) {
    q::JS_DefinePropertyValue(ctx, object, atom, value, q::JS_PROP_C_W_E as i32);
}

unsafe fn date(ctx: *mut q::JSContext, atoms: &Atoms, value: Date) -> q::JSValue {
    let object = q::JS_NewObject(ctx);
    set(ctx, object, atoms.year, int(value.year));
    set(ctx, object, atoms.month, int(value.month.into()));
    set(ctx, object, atoms.day, int(value.day.into()));
    object
}

unsafe fn symbols(
    ctx: *mut q::JSContext,
    strings: &mut Strings<'_>,
    refs: &[u32],
    range: PoolRange,
) -> q::JSValue {
    let array = q::JS_NewArray(ctx);
    let start = range.start as usize;
    let chosen = refs.get(start..start + range.count as usize).unwrap_or(&[]);
    for (i, symbol) in chosen.iter().enumerate() {
        q::JS_SetPropertyUint32(ctx, array, i as u32, strings.get(ctx, *symbol));
    }
    array
}

unsafe fn pairs(
    ctx: *mut q::JSContext,
    strings: &mut Strings<'_>,
    basket: &Basket,
    range: PoolRange,
) -> q::JSValue {
    let object = q::JS_NewObject(ctx);
    let start = range.start as usize;
    let chosen = basket
        .pairs
        .get(start..start + range.count as usize)
        .unwrap_or(&[]);
    for pair in chosen {
        let key = strings.text(pair.key);
        let atom = q::JS_NewAtomLen(ctx, key.as_ptr().cast::<c_char>(), key.len() as _);
        set(ctx, object, atom, strings.get(ctx, pair.value));
        q::JS_FreeAtom(ctx, atom);
    }
    object
}

/// The basket as the scenario sees it (`Basket` in `remise.d.ts`).
pub unsafe fn basket(
    ctx: *mut q::JSContext,
    atoms: &Atoms,
    strings: &mut Strings<'_>,
    basket: &Basket,
) -> q::JSValue {
    let object = q::JS_NewObject(ctx);
    set(
        ctx,
        object,
        atoms.currency,
        strings.get(ctx, basket.currency),
    );
    let lines = q::JS_NewArray(ctx);
    for (i, line) in basket.lines.iter().enumerate() {
        let value = q::JS_NewObject(ctx);
        set(ctx, value, atoms.index, int(i as i32));
        set(ctx, value, atoms.id, strings.get(ctx, line.id));
        set(ctx, value, atoms.sku, strings.get(ctx, line.sku));
        set(
            ctx,
            value,
            atoms.quantity,
            q::JS_NewNumber(ctx, f64::from(line.quantity)),
        );
        set(
            ctx,
            value,
            atoms.unit_price,
            decimal::of(ctx, line.unit_price),
        );
        set(
            ctx,
            value,
            atoms.categories,
            symbols(ctx, strings, &basket.refs, line.categories),
        );
        if line.brand != 0 {
            set(ctx, value, atoms.brand, strings.get(ctx, line.brand));
        }
        set(
            ctx,
            value,
            atoms.attributes,
            pairs(ctx, strings, basket, line.attributes),
        );
        q::JS_SetPropertyUint32(ctx, lines, i as u32, value);
    }
    set(ctx, object, atoms.lines, lines);
    if let Some(customer) = &basket.customer {
        let value = q::JS_NewObject(ctx);
        set(ctx, value, atoms.id, strings.get(ctx, customer.id));
        if customer.loyalty_tier != 0 {
            set(
                ctx,
                value,
                atoms.loyalty_tier,
                strings.get(ctx, customer.loyalty_tier),
            );
        }
        set(
            ctx,
            value,
            atoms.segments,
            symbols(ctx, strings, &basket.refs, customer.segments),
        );
        if let Some(birthdate) = customer.birthdate {
            set(ctx, value, atoms.birthdate, date(ctx, atoms, birthdate));
        }
        set(
            ctx,
            value,
            atoms.attributes,
            pairs(ctx, strings, basket, customer.attributes),
        );
        set(ctx, object, atoms.customer, value);
    }
    object
}

/// The context as the scenario sees it (`Context` in `remise.d.ts`).
pub unsafe fn context(
    ctx: *mut q::JSContext,
    atoms: &Atoms,
    strings: &mut Strings<'_>,
    context: &Context,
) -> q::JSValue {
    let object = q::JS_NewObject(ctx);
    set(
        ctx,
        object,
        atoms.channel,
        strings.get(ctx, context.channel),
    );
    if context.store != 0 {
        set(ctx, object, atoms.store, strings.get(ctx, context.store));
    }
    set(
        ctx,
        object,
        atoms.unix_seconds,
        q::JS_NewNumber(ctx, context.unix_seconds as f64),
    );
    set(
        ctx,
        object,
        atoms.utc_offset_minutes,
        int(context.utc_offset_minutes),
    );
    set(
        ctx,
        object,
        atoms.local_date,
        date(ctx, atoms, context.local_date),
    );
    object
}

/// A property, `None` when undefined.
unsafe fn field(ctx: *mut q::JSContext, object: q::JSValue, atom: q::JSAtom) -> Option<Owned> {
    let value = q::JS_GetProperty(ctx, object, atom);
    if q::JS_IsUndefined(value) {
        None
    } else {
        Some(Owned { ctx, value })
    }
}

/// A value freed when dropped.
struct Owned {
    ctx: *mut q::JSContext,
    value: q::JSValue,
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: we hold one reference.
        unsafe { q::JS_FreeValue(self.ctx, self.value) }
    }
}

impl Owned {
    unsafe fn text(&self, what: &str) -> Result<String, Failure> {
        if q::JS_IsString(self.value) {
            string(self.ctx, self.value)
                .ok_or_else(|| Failure::new(format!("{what}: not a string")))
        } else {
            Err(Failure::new(format!("{what} must be a string")))
        }
    }

    /// A whole number from 0 to `max`.
    unsafe fn count(&self, what: &str, max: f64) -> Result<f64, Failure> {
        let mut number = f64::NAN;
        if q::JS_IsNumber(self.value) {
            q::JS_ToFloat64(self.ctx, &mut number, self.value);
        }
        if number.fract() == 0.0 && (0.0..=max).contains(&number) {
            Ok(number)
        } else {
            Err(Failure::new(format!(
                "{what} must be a whole number from 0 to {max}"
            )))
        }
    }

    /// An exact decimal: a `Decimal`, text such as `"12.34"`, or a whole number.
    unsafe fn decimal(&self, what: &str) -> Result<Decimal, Failure> {
        let (mantissa, scale) = decimal::read(self.ctx, self.value)
            .map_err(|why| Failure::new(format!("{what} {why}")))?;
        let mantissa = i64::try_from(mantissa)
            .map_err(|_| Failure::new(format!("{what} has more than 19 digits")))?;
        Ok(Decimal {
            mantissa,
            scale: scale as u8,
        })
    }

    unsafe fn length(&self, what: &str) -> Result<u32, Failure> {
        if q::JS_IsArray(self.ctx, self.value) != 1 {
            return Err(Failure::new(format!("{what} must be an array")));
        }
        let mut len = 0i64;
        q::JS_GetLength(self.ctx, self.value, &mut len);
        u32::try_from(len).map_err(|_| Failure::new(format!("{what} is too long")))
    }

    unsafe fn at(&self, i: u32) -> Owned {
        Owned {
            ctx: self.ctx,
            value: q::JS_GetPropertyUint32(self.ctx, self.value, i),
        }
    }
}

/// What `checkParams` returned: nothing, or an array of `{ pointer, message }`.
pub unsafe fn problems(
    ctx: *mut q::JSContext,
    atoms: &Atoms,
    value: q::JSValue,
) -> Result<Vec<ParamProblem>, Failure> {
    if q::JS_IsUndefined(value) || q::JS_IsNull(value) {
        return Ok(Vec::new());
    }
    let list = Owned {
        ctx,
        value: q::JS_DupValue(ctx, value),
    };
    let len = list.length("checkParams's answer")?;
    let mut problems = Vec::with_capacity(len as usize);
    for i in 0..len {
        let entry = list.at(i);
        let what = format!("checkParams's problem {i}");
        let pointer = match field(ctx, entry.value, atoms.pointer) {
            Some(pointer) => pointer.text(&format!("{what}.pointer"))?,
            None => String::new(),
        };
        let message = field(ctx, entry.value, atoms.message)
            .ok_or_else(|| Failure::new(format!("{what} has no message")))?
            .text(&format!("{what}.message"))?;
        problems.push(ParamProblem { pointer, message });
    }
    Ok(problems)
}

/// What `evaluate` returned: an array of effects (`Effect` in `remise.d.ts`).
pub unsafe fn effects(
    ctx: *mut q::JSContext,
    atoms: &Atoms,
    value: q::JSValue,
) -> Result<Vec<Effect>, Failure> {
    let list = Owned {
        ctx,
        value: q::JS_DupValue(ctx, value),
    };
    let len = list.length("evaluate's answer")?;
    let mut effects = Vec::with_capacity(len as usize);
    for i in 0..len {
        let entry = list.at(i);
        let what = format!("effect {i}");
        let effect = if let Some(discount) = field(ctx, entry.value, atoms.discount) {
            Effect::Discount(read_discount(
                ctx,
                atoms,
                &discount,
                &format!("{what}.discount"),
            )?)
        } else if let Some(gift) = field(ctx, entry.value, atoms.gift) {
            let sku = field(ctx, gift.value, atoms.sku)
                .ok_or_else(|| Failure::new(format!("{what}.gift has no sku")))?
                .text(&format!("{what}.gift.sku"))?;
            let quantity = match field(ctx, gift.value, atoms.quantity) {
                Some(quantity) => {
                    quantity.count(&format!("{what}.gift.quantity"), f64::from(u32::MAX))? as u32
                }
                None => 1,
            };
            Effect::Gift(Gift { sku, quantity })
        } else if let Some(points) = field(ctx, entry.value, atoms.points) {
            Effect::Points(points.count(&format!("{what}.points"), 9_007_199_254_740_991.0)? as u64)
        } else if let Some(message) = field(ctx, entry.value, atoms.message) {
            Effect::Message(message.text(&format!("{what}.message"))?)
        } else {
            return Err(Failure::new(format!(
                "{what} must be one of {{ discount }}, {{ gift }}, {{ points }}, {{ message }}"
            )));
        };
        effects.push(effect);
    }
    Ok(effects)
}

unsafe fn read_discount(
    ctx: *mut q::JSContext,
    atoms: &Atoms,
    discount: &Owned,
    what: &str,
) -> Result<Discount, Failure> {
    let target = field(ctx, discount.value, atoms.target)
        .ok_or_else(|| Failure::new(format!("{what} has no target")))?;
    let target = if q::JS_IsString(target.value) {
        match target.text(what)?.as_str() {
            "order" => Target::Order,
            other => {
                return Err(Failure::new(format!(
                    "{what}.target: {other:?} is neither \"order\" nor {{ lines }}"
                )))
            }
        }
    } else {
        let lines = field(ctx, target.value, atoms.lines).ok_or_else(|| {
            Failure::new(format!("{what}.target must be \"order\" or {{ lines }}"))
        })?;
        let len = lines.length(&format!("{what}.target.lines"))?;
        let mut targets = Vec::with_capacity(len as usize);
        for i in 0..len {
            let entry = lines.at(i);
            let here = format!("{what}.target.lines[{i}]");
            let target = if q::JS_IsNumber(entry.value) {
                LineTarget {
                    line: entry.count(&here, f64::from(u32::MAX))? as u32,
                    units: None,
                }
            } else {
                let line = field(ctx, entry.value, atoms.line)
                    .ok_or_else(|| {
                        Failure::new(format!("{here} must be a line index or {{ line, units }}"))
                    })?
                    .count(&format!("{here}.line"), f64::from(u32::MAX))?
                    as u32;
                let units = match field(ctx, entry.value, atoms.units) {
                    Some(units) => {
                        Some(units.count(&format!("{here}.units"), f64::from(u32::MAX))? as u32)
                    }
                    None => None,
                };
                LineTarget { line, units }
            };
            targets.push(target);
        }
        Target::Lines(targets)
    };
    let value = field(ctx, discount.value, atoms.value)
        .ok_or_else(|| Failure::new(format!("{what} has no value")))?;
    let value = if let Some(percent) = field(ctx, value.value, atoms.percent) {
        DiscountValue::Percent(percent.decimal(&format!("{what}.value.percent"))?)
    } else if let Some(amount) = field(ctx, value.value, atoms.amount) {
        DiscountValue::Amount(amount.decimal(&format!("{what}.value.amount"))?)
    } else if let Some(price) = field(ctx, value.value, atoms.fixed_price) {
        DiscountValue::FixedPrice(price.decimal(&format!("{what}.value.fixedPrice"))?)
    } else {
        return Err(Failure::new(format!(
            "{what}.value must be one of {{ percent }}, {{ amount }}, {{ fixedPrice }}"
        )));
    };
    Ok(Discount { target, value })
}
