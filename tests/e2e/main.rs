//! End-to-end tests: one test binary, a small shared harness, real parts only — the built
//! provider binary, real Terraform CLIs and the moto AWS emulator.

mod accounts;
mod api_service;
mod bad_input;
mod bucket;
mod cache;
mod command_line;
mod database;
mod demo;
mod deployments;
mod docs_schema;
mod elasticache_backend;
mod environment;
mod examples;
mod execution_role;
mod fargate_backend;
mod faults;
mod harness;
mod ingress;
mod ingress_backend;
mod jobs;
mod ownership;
mod packaging;
mod protocol;
mod queue;
mod queue_scaling_backend;
mod requests;
mod s3_backend;
mod scheduler_backend;
mod secret;
mod secrets_backend;
mod sim;
mod simulator_clients;
mod sqs_backend;
mod tags;
mod throttling;
