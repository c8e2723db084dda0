//! Bad input through real Terraform: each is refused by `terraform plan` with a
//! diagnostic naming the attribute and the limit, before anything reaches a cloud (so
//! none of these needs an emulator), and a write-only password is never shown.

use crate::harness::{Moto, REQUIRED_PROVIDERS, Terraform, Workdir, newest_terraform};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

/// One environment and `resource`, on a provider with Fly.io and Cloudflare configured
/// (pointed nowhere: plans never call them).
fn config(resource: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{
  cloudflare {{
    account_id = "0123456789abcdef0123456789abcdef"
  }}
}}

resource "platform_environment" "env" {{
  name   = "bad"
  tier   = "development"
  region = "us-east-1"
  network {{
    subnet_ids         = ["subnet-12345678"]
    security_group_ids = ["sg-12345678"]
  }}
}}

{resource}
"#
    )
}

fn service(body: &str) -> String {
    format!(
        "resource \"platform_api_service\" \"api\" {{\n  environment = platform_environment.env.context\n  name        = \"api\"\n{body}\n}}\n"
    )
}

/// Plans `resource` and returns the diagnostics text, whitespace-joined (Terraform wraps
/// diagnostics at 80 columns); asserts the plan failed.
fn refused(tf: &Terraform, moto: &Moto, resource: &str) -> String {
    let mut wd = moto.workdir(&config(resource));
    wd.set_env("FLY_API_TOKEN", "unused")
        .set_env("CLOUDFLARE_API_TOKEN", "unused");
    let out = wd.run(tf, &["plan", "-no-color"]);
    assert_ne!(out.code, 0, "{resource}: must be refused:\n{out}");
    let text = format!("{}\n{}", out.stdout, out.stderr);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn numbers_beyond_range_say_out_of_range_with_the_range() {
    let tf = newest_terraform();
    let moto = Moto::shared();
    let cases = [
        (
            "  image = \"nginx\"\n  port  = 1e400",
            "`port` is `1e400`, but it must be between `1` and `65535`.",
        ),
        (
            "  image = \"nginx\"\n  scaling {\n    min = 99999999999999999999999\n  }",
            "`scaling.min` is `99999999999999999999999`, but it must be between `0` and `1000`.",
        ),
    ];
    for (body, want) in cases {
        let text = refused(&tf, moto, &service(body));
        assert!(text.contains("Value Out Of Range"), "{body}: {text}");
        assert!(text.contains(want), "{body}: want {want}\n{text}");
        assert!(!text.contains("`inf`"), "{body}: {text}");
        assert!(!text.contains("whole number"), "{body}: {text}");
    }
}

#[test]
fn a_300_kb_variable_is_refused_on_every_host_with_its_limit() {
    let tf = newest_terraform();
    let moto = Moto::shared();
    let big = "x".repeat(300 * 1024);
    let cases = [
        (
            format!(
                "  host  = \"aws_fargate\"\n  image = \"nginx\"\n  env   = {{ BIG = \"{big}\" }}"
            ),
            "Task definition size",
        ),
        (
            format!("  host  = \"fly\"\n  image = \"nginx\"\n  env   = {{ BIG = \"{big}\" }}"),
            "over 131072 bytes",
        ),
        (
            format!(
                "  host   = \"cloudflare_workers\"\n  script = \"export default {{}}\"\n  env    = {{ BIG = \"{big}\" }}"
            ),
            "at most 5120 bytes",
        ),
    ];
    for (body, want) in cases {
        let text = refused(&tf, moto, &service(&body));
        assert!(text.contains("env"), "names the attribute: {text:.2000}");
        assert!(text.contains(want), "want {want}: {text:.4000}");
    }
}

#[test]
fn master_credentials_rds_refuses_fail_the_plan_without_showing_the_password() {
    let tf = newest_terraform();
    let moto = Moto::shared();
    // The password comes from a sensitive variable, as it would in real use: a literal in
    // main.tf would be shown by Terraform's own source snippet, whatever the provider says.
    let plan = |username: &str, password: &str| {
        let resource = format!(
            "variable \"pw\" {{\n  type      = string\n  sensitive = true\n}}\n\
             resource \"platform_database\" \"db\" {{\n  environment = platform_environment.env.context\n  name = \"orders\"\n  master_username = \"{username}\"\n  master_password_wo = var.pw\n  master_password_wo_version = 1\n}}\n"
        );
        let mut wd = moto.workdir(&config(&resource));
        wd.set_env("TF_VAR_pw", password);
        let out = wd.run(&tf, &["plan", "-no-color"]);
        assert_ne!(out.code, 0, "{username}: must be refused:\n{out}");
        let text = format!("{}\n{}", out.stdout, out.stderr);
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let text = plan("rdsadmin", "correct-horse-battery");
    assert!(text.contains("Reserved Master Username"), "{text}");

    let text = plan("app_admin", "Sup3rS3cret@pw");
    assert!(text.contains("Invalid Master Password"), "{text}");
    assert!(text.contains("except `/`, `@`"), "{text}");
    assert!(
        !text.contains("Sup3rS3cret"),
        "the password is never shown: {text}"
    );

    let text = plan("app_admin", "s3cr7");
    assert!(text.contains("shorter than 8 characters"), "{text}");
    assert!(
        !text.contains("s3cr7"),
        "the password is never shown: {text}"
    );
}

#[test]
fn every_fly_preset_plans() {
    let tf = newest_terraform();
    let moto = Moto::shared();
    let mut wd = Workdir::new(
        BIN,
        &config(&service(
            "  host   = \"fly\"\n  image  = \"nginx\"\n  cpu    = \"6\"\n  memory = \"12GB\"",
        )),
    );
    wd.use_moto(moto)
        .set_env("FLY_API_TOKEN", "unused")
        .set_env("CLOUDFLARE_API_TOKEN", "unused");
    let out = wd.run(&tf, &["plan", "-no-color"]);
    assert_eq!(out.code, 0, "shared-cpu-6x plans:\n{out}");
    assert!(out.stdout.contains("shared-cpu-6x"), "{out}");
}
