//! The Terraform plugin protocol: the go-plugin handshake, AutoMTLS, hclog logging, the
//! generated gRPC code, conversions to native types, and one adapter file per RPC.

pub mod convert;
pub mod go_plugin;
pub mod handshake;
pub mod logging;
pub mod proto;
pub mod rpc;
pub mod serve;
pub mod tls;
