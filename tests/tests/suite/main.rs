//! The integration suite, one binary: each module was a test binary of its own, and linking
//! every one against the whole host cost about 12 s of CPU a binary in each build. The tests
//! that read the process's metrics (one recorder per process), run plugins into their fuel or
//! deadline, time the machine, spawn themselves or drive a browser keep binaries of their
//! own beside this folder, so no module here shares a process with them.

#[path = "../support/mod.rs"]
mod support;

mod cache;
mod catalogue;
mod clock;
mod contract_versions;
mod customer_data;
mod customers;
mod determinism;
mod history;
mod javascript;
mod keys;
mod lowering;
mod openapi_answers;
mod personal_codes;
mod points;
mod properties;
mod redemptions;
mod returns;
mod rewards;
mod server;
mod simulations;
mod traces;
mod valid_looking_input;
mod wallet;
