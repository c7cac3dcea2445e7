//! The ground floor: what Remise talks about (a basket and its lines and customer, a
//! campaign, an effect a plugin proposes, a group's policy, what campaigns have used, a
//! coupon, the ISO 4217 currencies, a plugin's own limits) and the rules that need nothing but the values
//! themselves. Every other module imports from here; this module imports from none of them
//! but [`crate::json_pointer`].

pub mod basket;
pub mod campaign;
pub mod coupon;
pub mod currency;
pub mod effect;
pub mod field_problem;
pub mod plugin_limits;
pub mod policy;
pub mod usage;

pub use basket::{Basket, Customer, Line};
pub use campaign::Campaign;
pub use effect::Effect;
pub use field_problem::FieldProblem;
pub use policy::Policy;
pub use usage::Usage;
