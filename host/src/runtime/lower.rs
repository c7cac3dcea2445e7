//! Hands a basket to a sandbox in a few bulk copies: the canonical-ABI bytes of its lines
//! and pairs are laid out once per request, then each sandbox gets one allocation and one
//! `memcpy` per list instead of one store per field.
//!
//! wasmtime lowers a `list<record>` field by field, each store looking the memory up again:
//! for a 20-line basket that was 220 stores and a quarter of a whole sandbox run
//! (docs/operations.md, the sandbox). Lines and pairs hold only scalars, so their
//! bytes do not depend on where the sandbox puts them and can be built once.
//!
//! The layout is not written by hand: each field's offset comes from the same
//! [`CanonicalAbiInfo`] wasmtime's own derive uses, over the types `bindgen!` generated from
//! `sdk/wit/v1`. `tests/tests/suite/lowering.rs` checks, on random baskets, that a plugin reads through
//! these bytes exactly what the SDK reads natively.

use super::bindings::types as wire;
use wasmtime::component::__internal::{
    bad_type_info, CanonicalAbiInfo, InstanceType, InterfaceType, LowerContext,
};
use wasmtime::component::{ComponentType, Lower};

/// A lowered basket: the wire record, and the canonical-ABI bytes of its record lists.
pub struct WireBasket {
    /// The basket as `bindgen!` types.
    pub fields: wire::Basket,
    /// `fields.lines` as the sandbox reads them.
    lines: Box<[u8]>,
    /// `fields.pairs` as the sandbox reads them.
    pairs: Box<[u8]>,
}

impl WireBasket {
    /// Lays out `fields`' lines and pairs once.
    pub fn new(fields: wire::Basket) -> Self {
        let lines = image(&fields.lines, LineLayout::new(), write_line);
        let pairs = image(&fields.pairs, PairLayout::new(), write_pair);
        Self {
            fields,
            lines,
            pairs,
        }
    }
}

/// Successive field offsets within one record, as the canonical ABI places them.
struct Fields {
    next: u32,
}

impl Fields {
    fn at(start: u32) -> Self {
        Self { next: start }
    }

    /// The offset of the next field, of type `T`.
    fn next<T: ComponentType>(&mut self) -> usize {
        T::ABI.next_field32(&mut self.next) as usize
    }
}

/// The bytes of `items`, each laid out by `write` in its `T::SIZE32` slot.
fn image<T: ComponentType, L>(items: &[T], layout: L, write: fn(&L, &T, &mut [u8])) -> Box<[u8]> {
    let mut bytes = vec![0u8; items.len() * T::SIZE32].into_boxed_slice();
    for (item, slot) in items.iter().zip(bytes.chunks_exact_mut(T::SIZE32)) {
        write(&layout, item, slot);
    }
    bytes
}

fn put(slot: &mut [u8], offset: usize, bytes: &[u8]) {
    slot[offset..offset + bytes.len()].copy_from_slice(bytes);
}

/// Where each field of a `line` record sits (a pool range is two `u32`s side by side).
struct LineLayout {
    id: usize,
    sku: usize,
    quantity: usize,
    mantissa: usize,
    scale: usize,
    categories: usize,
    brand: usize,
    attributes: usize,
    /// `start` within a pool range.
    range_start: usize,
    /// `count` within a pool range.
    range_count: usize,
}

impl LineLayout {
    fn new() -> Self {
        let mut at = Fields::at(0);
        let (id, sku, quantity) = (at.next::<u32>(), at.next::<u32>(), at.next::<u32>());
        let mut price = Fields::at(at.next::<wire::Decimal>() as u32);
        let (mantissa, scale) = (price.next::<i64>(), price.next::<u8>());
        let mut range = Fields::at(0);
        let (range_start, range_count) = (range.next::<u32>(), range.next::<u32>());
        Self {
            id,
            sku,
            quantity,
            mantissa,
            scale,
            categories: at.next::<wire::PoolRange>(),
            brand: at.next::<u32>(),
            attributes: at.next::<wire::PoolRange>(),
            range_start,
            range_count,
        }
    }
}

fn write_range(at: &LineLayout, range: &wire::PoolRange, slot: &mut [u8], offset: usize) {
    put(slot, offset + at.range_start, &range.start.to_le_bytes());
    put(slot, offset + at.range_count, &range.count.to_le_bytes());
}

fn write_line(at: &LineLayout, line: &wire::Line, slot: &mut [u8]) {
    put(slot, at.id, &line.id.to_le_bytes());
    put(slot, at.sku, &line.sku.to_le_bytes());
    put(slot, at.quantity, &line.quantity.to_le_bytes());
    put(slot, at.mantissa, &line.unit_price.mantissa.to_le_bytes());
    put(slot, at.scale, &[line.unit_price.scale]);
    write_range(at, &line.categories, slot, at.categories);
    put(slot, at.brand, &line.brand.to_le_bytes());
    write_range(at, &line.attributes, slot, at.attributes);
}

/// Where the key and the value of a `pair` record sit.
struct PairLayout {
    key: usize,
    value: usize,
}

impl PairLayout {
    fn new() -> Self {
        let mut at = Fields::at(0);
        let (key, value) = (at.next::<u32>(), at.next::<u32>());
        Self { key, value }
    }
}

fn write_pair(at: &PairLayout, pair: &wire::Pair, slot: &mut [u8]) {
    put(slot, at.key, &pair.key.to_le_bytes());
    put(slot, at.value, &pair.value.to_le_bytes());
}

/// Copies a list's `bytes` (`count` elements aligned to `align`) into a fresh allocation of
/// the sandbox and stores its pointer and length at `offset`.
fn lower_image<T>(
    cx: &mut LowerContext<'_, T>,
    bytes: &[u8],
    align: u32,
    count: usize,
    offset: usize,
) -> wasmtime::Result<()> {
    let ptr = cx.realloc(0, 0, align, bytes.len())?;
    // `realloc` already refused an allocation beyond the end of memory.
    cx.as_slice_mut()
        .get_mut(ptr..ptr + bytes.len())
        .ok_or_else(|| wasmtime::format_err!("realloc return: beyond end of memory"))?
        .copy_from_slice(bytes);
    *cx.get::<4>(offset) = u32::try_from(ptr)?.to_le_bytes();
    *cx.get::<4>(offset + 4) = u32::try_from(count)?.to_le_bytes();
    Ok(())
}

// SAFETY: the ABI, the flat representation and the type check are `wire::Basket`'s own,
// which `bindgen!` derived from `sdk/wit/v1`; `WireBasket` lowers to the same bytes.
#[allow(unsafe_code)]
unsafe impl ComponentType for WireBasket {
    type Lower = <wire::Basket as ComponentType>::Lower;

    const ABI: CanonicalAbiInfo = <wire::Basket as ComponentType>::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <wire::Basket as ComponentType>::typecheck(ty, types)
    }
}

// SAFETY: field by field what the derived `Lower` of `wire::Basket` does, the two record
// lists copied from bytes laid out by the same ABI offsets.
#[allow(unsafe_code)]
unsafe impl Lower for WireBasket {
    fn linear_lower_to_flat<T>(
        &self,
        cx: &mut LowerContext<'_, T>,
        ty: InterfaceType,
        dst: &mut std::mem::MaybeUninit<Self::Lower>,
    ) -> wasmtime::Result<()> {
        // Never taken (a basket with its context and campaigns is too wide to pass flat).
        self.fields.linear_lower_to_flat(cx, ty, dst)
    }

    fn linear_lower_to_memory<T>(
        &self,
        cx: &mut LowerContext<'_, T>,
        ty: InterfaceType,
        offset: usize,
    ) -> wasmtime::Result<()> {
        let record = match ty {
            InterfaceType::Record(index) => &cx.types[index],
            _ => bad_type_info(),
        };
        if record.fields.len() != 7 {
            bad_type_info()
        }
        let [text, symbol_ends, currency, lines, refs, pairs, customer]: [InterfaceType; 7] =
            std::array::from_fn(|i| record.fields[i].ty);
        let basket = &self.fields;
        let mut at = Fields::at(offset as u32);
        let offset = at.next::<String>();
        basket.text.linear_lower_to_memory(cx, text, offset)?;
        let offset = at.next::<Vec<u32>>();
        basket
            .symbol_ends
            .linear_lower_to_memory(cx, symbol_ends, offset)?;
        let offset = at.next::<u32>();
        basket
            .currency
            .linear_lower_to_memory(cx, currency, offset)?;
        debug_assert!(matches!(lines, InterfaceType::List(_)));
        let offset = at.next::<Vec<wire::Line>>();
        let (align, count) = (wire::Line::ALIGN32, basket.lines.len());
        lower_image(cx, &self.lines, align, count, offset)?;
        let offset = at.next::<Vec<u32>>();
        basket.refs.linear_lower_to_memory(cx, refs, offset)?;
        debug_assert!(matches!(pairs, InterfaceType::List(_)));
        let offset = at.next::<Vec<wire::Pair>>();
        let (align, count) = (wire::Pair::ALIGN32, basket.pairs.len());
        lower_image(cx, &self.pairs, align, count, offset)?;
        let offset = at.next::<Option<wire::Customer>>();
        basket.customer.linear_lower_to_memory(cx, customer, offset)
    }
}
