//! `threshold-discount-1-0`: the catalogue's `threshold-discount`, its very source, built
//! for contract 1.0 (`wit/v1`, the SDK's feature `contract-1-0`), so the tests can check
//! that a plugin built for 1.0 still loads next to 1.1 ones and answers exactly as its 1.1
//! build does.

#[path = "../../../../plugins/threshold-discount/src/lib.rs"]
pub mod threshold_discount;
