//! End-to-end tests: one test binary, a small shared harness, real parts only — the built
//! provider binary, real Terraform CLIs and the moto AWS emulator.

mod environment;
mod harness;
mod protocol;
