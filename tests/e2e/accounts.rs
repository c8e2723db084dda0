//! One configuration, several AWS accounts: provider aliases with `assume_role` and with a
//! named `profile`, against moto's STS. moto files what a role's credentials create under the
//! role's account, so the ARNs say where each environment landed.

use crate::harness::{Aws, Moto, REQUIRED_PROVIDERS, Workdir, block_on, newest_terraform};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

/// Whether the default account (123456789012, the harness's credentials) has the cluster.
fn in_default_account(moto: &Moto, cluster: &str) -> bool {
    block_on(async {
        Aws::new(moto)
            .ecs
            .describe_clusters()
            .clusters(cluster)
            .send()
            .await
            .expect("DescribeClusters")
            .clusters()
            .iter()
            .any(|c| c.status() == Some("ACTIVE"))
    })
}

fn environment(resource: &str, provider: &str, name: &str) -> String {
    format!(
        r#"
resource "platform_environment" "{resource}" {{
  {provider}
  name   = "{name}"
  tier   = "development"
  region = "us-east-1"
}}

output "{resource}_arn" {{
  value = platform_environment.{resource}.cluster_arn
}}
"#
    )
}

#[test]
fn an_aliased_provider_with_assume_role_applies_in_the_roles_account() {
    let tf = newest_terraform();
    let moto = Moto::shared();
    let config = format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

provider "platform" {{
  alias = "staging"
  assume_role {{
    role_arn     = "arn:aws:iam::222222222222:role/deploy"
    session_name = "e2e-staging"
    external_id  = "infrar"
  }}
  endpoints {{
    sts = "{sts}"
  }}
}}
{prod}
{staging}
"#,
        sts = moto.endpoint(),
        prod = environment("prod", "", "acctprod"),
        staging = environment("staging", "provider = platform.staging", "acctstg"),
    );
    let wd = Workdir::new(BIN, &config);
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let out = wd.outputs_json(&tf);
    let prod = out["prod_arn"]["value"].as_str().unwrap_or_default();
    let staging = out["staging_arn"]["value"].as_str().unwrap_or_default();
    assert!(
        prod.contains(":123456789012:cluster/acctprod-cluster"),
        "{out}"
    );
    assert!(
        staging.contains(":222222222222:cluster/acctstg-cluster"),
        "the staging environment is in the role's account: {out}"
    );
    assert!(in_default_account(moto, "acctprod-cluster"));
    assert!(
        !in_default_account(moto, "acctstg-cluster"),
        "nothing of staging in the base account"
    );
    // The second plan reads each environment through its own account: no drift.
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    eprintln!("accounts: default provider → {prod}; assume_role alias → {staging}");
}

#[test]
fn a_named_profile_is_used_even_when_access_keys_are_in_the_environment() {
    let tf = newest_terraform();
    let moto = Moto::shared();
    let config = format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{
  alias   = "staging"
  profile = "staging"
}}
{staging}
"#,
        staging = environment("staging", "provider = platform.staging", "acctprof"),
    );
    let mut wd = Workdir::new(BIN, &config);
    // The base profile's keys, and a staging profile that assumes a role in 333333333333
    // with them; the harness's AWS_ACCESS_KEY_ID stays set and must not win.
    wd.write_file(
        "aws/config",
        &format!(
            "[profile base]\nregion = us-east-1\nendpoint_url = {moto}\n\n[profile staging]\nrole_arn = arn:aws:iam::333333333333:role/deploy\nsource_profile = base\nrole_session_name = e2e-profile\nregion = us-east-1\nendpoint_url = {moto}\n",
            moto = moto.endpoint()
        ),
    );
    wd.write_file(
        "aws/credentials",
        "[base]\naws_access_key_id = AKIAPROFILEBASE00001\naws_secret_access_key = base-secret\n",
    );
    let dir = wd.path().join("aws");
    wd.set_env("AWS_CONFIG_FILE", dir.join("config").to_str().unwrap())
        .set_env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("credentials").to_str().unwrap(),
        );
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let out = wd.outputs_json(&tf);
    let staging = out["staging_arn"]["value"].as_str().unwrap_or_default();
    assert!(
        staging.contains(":333333333333:cluster/acctprof-cluster"),
        "the profile's role account, not the environment's keys: {out}"
    );
    assert!(!in_default_account(moto, "acctprof-cluster"));
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    eprintln!("accounts: profile `staging` (role_arn + source_profile) → {staging}");
}
