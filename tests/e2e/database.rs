//! `platform_database` end to end on every Terraform CLI: a development database and a
//! production one (Multi-AZ, 30-day backups, a replica, deletion protection), each through
//! plan → apply → empty plan → drift → import → destroy, with what moto holds checked after
//! each step; the production guards; write-only passwords that never reach state, plan or
//! logs; and plan-time validation.

use crate::harness::{
    Aws, Moto, REQUIRED_PROVIDERS, Terraform, Workdir, block_on, terraform_versions,
};
use std::collections::BTreeMap;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");
const PASSWORD: &str = "Wr1te-Only-S3cret-Value";

fn find(filter: &str) -> Option<Terraform> {
    terraform_versions()
        .into_iter()
        .find(|t| t.version == filter || t.path.to_string_lossy().contains(filter))
}

fn stack(env: &str, tier: &str, database: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "{tier}"
  region = "us-east-1"
}}

resource "platform_database" "db" {{
  environment = platform_environment.env.context
  name        = "main"
{database}
}}
"#
    )
}

struct Instance {
    class: String,
    multi_az: bool,
    retention: i32,
    storage: i32,
    deletion_protection: bool,
    secret_arn: Option<String>,
}

fn rds(moto: &Moto, region: &str) -> aws_sdk_rds::Client {
    Aws::in_region(moto, region).rds
}

fn describe(moto: &Moto, region: &str, id: &str) -> Option<Instance> {
    block_on(async {
        let out = rds(moto, region)
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .ok()?;
        out.db_instances().first().map(|d| Instance {
            class: d.db_instance_class().unwrap_or_default().to_string(),
            multi_az: d.multi_az().unwrap_or_default(),
            retention: d.backup_retention_period().unwrap_or_default(),
            storage: d.allocated_storage().unwrap_or_default(),
            deletion_protection: d.deletion_protection().unwrap_or_default(),
            secret_arn: d
                .master_user_secret()
                .and_then(|s| s.secret_arn())
                .map(str::to_string),
        })
    })
}

fn snapshots(moto: &Moto, id: &str) -> Vec<String> {
    block_on(async {
        // Manual snapshots only: moto also lists automated backups.
        let out = rds(moto, "us-east-1")
            .describe_db_snapshots()
            .db_instance_identifier(id)
            .snapshot_type("manual")
            .send()
            .await
            .unwrap();
        out.db_snapshots()
            .iter()
            .filter_map(|s| s.db_snapshot_identifier().map(str::to_string))
            .collect()
    })
}

fn modify(moto: &Moto, id: &str, class: Option<&str>, retention: Option<i32>) {
    block_on(async {
        rds(moto, "us-east-1")
            .modify_db_instance()
            .db_instance_identifier(id)
            .set_db_instance_class(class.map(str::to_string))
            .set_backup_retention_period(retention)
            .apply_immediately(true)
            .send()
            .await
            .expect("ModifyDBInstance");
    });
}

/// Imports the environment and the database into an empty state; the plan must be empty.
fn import_gives_empty_plan(tf: &Terraform, moto: &Moto, config: &str, env: &str) {
    let fresh = moto.workdir(config);
    fresh
        .run(
            tf,
            &["import", "-no-color", "platform_environment.env", env],
        )
        .expect_success();
    fresh
        .run(
            tf,
            &[
                "import",
                "-no-color",
                "platform_database.db",
                &format!("{env}/main"),
            ],
        )
        .expect_success();
    let plan = fresh.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "{tf}: plan after import:\n{}\n{}",
        plan.stdout, plan.stderr
    );
}

fn development_lifecycle(tf: &Terraform) {
    let moto = Moto::start();
    let env = format!("dv{}", tf.version.replace('.', ""));
    let id = format!("{env}-main");
    let config = stack(&env, "development", "");
    let wd = moto.workdir(&config);

    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    for want in [
        "\"rds_instance\"",
        "\"db.t3.micro\"",
        "\"tier:development\"",
        "estimated_monthly_cost_usd",
    ] {
        assert!(
            plan.stdout.contains(want),
            "{tf}: plan lacks {want}:\n{}",
            plan.stdout
        );
    }
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let db = describe(&moto, "us-east-1", &id).expect("created");
    assert_eq!(
        (db.class.as_str(), db.multi_az, db.retention, db.storage),
        ("db.t3.micro", false, 1, 20)
    );
    assert!(!db.deletion_protection);
    assert!(
        db.secret_arn.is_some(),
        "RDS manages the master password by default"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Drift: retention changed out of band shows as that child's change; apply restores it.
    modify(&moto, &id, None, Some(5));
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift.stdout.contains("\"5\" -> \"1\""),
        "{tf}: drift not shown:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(describe(&moto, "us-east-1", &id).unwrap().retention, 1);

    import_gives_empty_plan(tf, &moto, &config, &env);

    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        describe(&moto, "us-east-1", &id).is_none(),
        "{tf}: database deleted"
    );
    assert!(
        snapshots(&moto, &id).is_empty(),
        "development takes no final snapshot"
    );
}

fn production_lifecycle(tf: &Terraform) {
    let moto = Moto::start();
    let env = format!("pr{}", tf.version.replace('.', ""));
    let id = format!("{env}-main");
    let replica = format!("{id}-us-east-1");
    let body = "  extensions    = [\"vector\"]\n  read_replicas = [{ region = \"us-east-1\" }]\n  tags          = { team = \"data\" }";
    let config = stack(&env, "production", body);
    let wd = moto.workdir(&config);

    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    for want in [
        "\"rds_replica_us-east-1\"",
        "\"db.t3.medium\"",
        "\"tier:production\"",
        "multi_az",
    ] {
        assert!(
            plan.stdout.contains(want),
            "{tf}: plan lacks {want}:\n{}",
            plan.stdout
        );
    }
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let db = describe(&moto, "us-east-1", &id).expect("primary created");
    assert_eq!(
        (db.class.as_str(), db.multi_az, db.retention, db.storage),
        ("db.t3.medium", true, 30, 100)
    );
    assert!(db.deletion_protection);
    assert!(
        describe(&moto, "us-east-1", &replica).is_some(),
        "replica created"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Drift of the class.
    modify(&moto, &id, Some("db.t3.large"), None);
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift.stdout.contains("\"db.t3.large\" -> \"db.t3.medium\""),
        "{tf}:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        describe(&moto, "us-east-1", &id).unwrap().class,
        "db.t3.medium"
    );

    // Renaming would replace a production database: refused at plan time, naming `name`.
    wd.write_main_tf(&config.replace("name        = \"main\"", "name        = \"primary\""));
    let guarded = wd.run(tf, &["plan", "-no-color"]);
    assert_ne!(guarded.code, 0, "{tf}: replacement must be refused");
    assert!(
        guarded.stderr.contains("allow_replacement"),
        "{tf}:\n{}",
        guarded.stderr
    );
    wd.write_main_tf(&config);

    import_gives_empty_plan(tf, &moto, &config, &env);

    // Destroy is refused while protected, and says how to proceed.
    let refused = wd.run(tf, &["destroy", "-no-color", "-auto-approve"]);
    assert_ne!(refused.code, 0, "{tf}: protected destroy must fail");
    assert!(
        refused.stderr.contains("allow_replacement"),
        "{tf}:\n{}",
        refused.stderr
    );
    assert!(
        describe(&moto, "us-east-1", &id).is_some(),
        "{tf}: nothing deleted"
    );

    // Following the message: lift protection, then destroy takes a final snapshot.
    let unlocked = stack(
        &env,
        "production",
        &format!("{body}\n  allow_replacement   = true\n  deletion_protection = false"),
    );
    wd.write_main_tf(&unlocked);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        !describe(&moto, "us-east-1", &id)
            .unwrap()
            .deletion_protection
    );
    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(describe(&moto, "us-east-1", &id).is_none());
    assert!(
        describe(&moto, "us-east-1", &replica).is_none(),
        "replica deleted"
    );
    let snaps = snapshots(&moto, &id);
    assert!(
        snaps.iter().any(|s| s.starts_with(&format!("{id}-final-"))),
        "{tf}: final snapshot: {snaps:?}"
    );
    assert!(
        snapshots(&moto, &replica).is_empty(),
        "replicas are deleted without snapshots"
    );
}

#[test]
fn development_database_lifecycle_on_every_terraform() {
    for tf in terraform_versions() {
        development_lifecycle(&tf);
    }
}

#[test]
fn production_database_lifecycle_on_every_terraform() {
    for tf in terraform_versions() {
        production_lifecycle(&tf);
    }
}

#[test]
fn write_only_password_never_reaches_state_plan_or_logs() {
    let tf = find("1.15.5").expect("Terraform 1.15.5");
    let moto = Moto::start();
    let body =
        format!("  master_password_wo         = \"{PASSWORD}\"\n  master_password_wo_version = 1");
    let wd = moto.workdir(&stack("secret", "development", &body));
    let log = wd.path().join("tf.log");
    let env = [("TF_LOG", "TRACE"), ("TF_LOG_PATH", log.to_str().unwrap())];
    let plan = wd.run_with_env(&tf, &["plan", "-no-color", "-out=tfplan"], &env);
    plan.expect_success();
    wd.run_with_env(&tf, &["apply", "-no-color", "tfplan"], &env)
        .expect_success();
    // Rotation sends the new password, still without storing it.
    let rotated = format!(
        "  master_password_wo         = \"{PASSWORD}-2\"\n  master_password_wo_version = 2"
    );
    wd.write_main_tf(&stack("secret", "development", &rotated));
    let apply2 = wd.run_with_env(&tf, &["apply", "-no-color", "-auto-approve"], &env);
    apply2.expect_success();
    let show = wd.run(&tf, &["show", "-no-color", "tfplan"]);
    let state = std::fs::read_to_string(wd.path().join("terraform.tfstate")).unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(
        logs.contains("provider.terraform-provider-platform"),
        "the log captured the provider"
    );
    for (what, text) in [
        ("plan output", &plan.stdout),
        ("plan file", &show.stdout),
        ("state", &state),
        ("TRACE log", &logs),
        ("apply output", &apply2.stdout),
    ] {
        assert!(!text.contains(PASSWORD), "{what} contains the password");
    }
    let db = describe(&moto, "us-east-1", "secret-main").unwrap();
    assert!(
        db.secret_arn.is_none(),
        "a write-only password replaces the managed one"
    );
}

#[test]
fn write_only_password_on_terraform_1_0_is_a_clear_error() {
    let tf = find("1.0.3").expect("Terraform 1.0.3");
    let moto = Moto::start();
    let body =
        format!("  master_password_wo         = \"{PASSWORD}\"\n  master_password_wo_version = 1");
    let wd = moto.workdir(&stack("old", "development", &body));
    let out = wd.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("Write-Only Attributes Need Terraform 1.11"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panic"));
    assert!(
        describe(&moto, "us-east-1", "old-main").is_none(),
        "nothing created"
    );
    let state = std::fs::read_to_string(wd.path().join("terraform.tfstate")).unwrap_or_default();
    assert!(!state.contains(PASSWORD), "never stored");
}

#[test]
fn validation_errors_point_at_the_attribute_with_the_fix() {
    let tf = find("1.15.5").expect("Terraform 1.15.5");
    let cases: BTreeMap<&str, (&str, &[&str])> = BTreeMap::from([
        (
            "pgvector needs a newer engine",
            (
                "  engine_version = \"15.1\"\n  extensions = [\"vector\"]",
                &["extensions", "15.2"][..],
            ),
        ),
        (
            "storage below gp3's minimum",
            ("  storage_gb = \"10\"", &["storage_gb", "20"][..]),
        ),
        (
            "retention above 35",
            (
                "  backup_retention_days = 40",
                &["backup_retention_days", "35"][..],
            ),
        ),
        (
            "class without db. prefix",
            (
                "  instance_class = \"t3.micro\"",
                &["instance_class", "db.t3.micro"][..],
            ),
        ),
        (
            "no retention with replicas",
            (
                "  backup_retention_days = 0\n  read_replicas = [{ region = \"us-east-1\" }]",
                &["backup_retention_days", "replica"][..],
            ),
        ),
        (
            "managed and write-only both",
            (
                "  manage_master_password = true\n  master_password_wo = \"x-Value-1234\"\n  master_password_wo_version = 1",
                &["manage_master_password", "master_password_wo"][..],
            ),
        ),
        (
            "engine version format",
            ("  engine_version = \"16.x\"", &["engine_version"][..]),
        ),
    ]);
    for (name, (body, wants)) in cases {
        let wd = Workdir::new(BIN, &stack("val", "development", body));
        let out = wd.run(&tf, &["plan", "-no-color"]);
        assert_ne!(out.code, 0, "{name}: plan must fail");
        for want in wants.iter() {
            assert!(
                out.stderr.contains(want),
                "{name}: diagnostics lack {want:?}:\n{}",
                out.stderr
            );
        }
        assert!(!out.stderr.contains("panic"), "{name}");
    }
}

fn create_instance(moto: &Moto, id: &str, tags: &[(&str, &str)]) {
    block_on(async {
        rds(moto, "us-east-1")
            .create_db_instance()
            .db_instance_identifier(id)
            .engine("postgres")
            .db_instance_class("db.t3.large")
            .allocated_storage(20)
            // What this provider would have made: gp3, encrypted.
            .storage_type("gp3")
            .storage_encrypted(true)
            .master_username("postgres")
            .master_user_password("not-a-real-password-1")
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ))
            .send()
            .await
            .expect("CreateDBInstance");
    });
}

fn delete_instance(moto: &Moto, id: &str) {
    block_on(async {
        rds(moto, "us-east-1")
            .delete_db_instance()
            .db_instance_identifier(id)
            .skip_final_snapshot(true)
            .send()
            .await
            .expect("DeleteDBInstance");
    });
}

#[test]
fn a_retried_create_adopts_the_instance_its_unfinished_create_made() {
    let tf = find("1.15.5").expect("Terraform 1.15.5");
    let moto = Moto::start();
    // As if an apply created the instance and crashed before finishing its create (it
    // still carries the creating marker); `ownership.rs` kills a real apply.
    create_instance(
        &moto,
        "crash-main",
        &[
            ("platform:environment", "crash"),
            ("platform:lifecycle", "creating"),
            ("managed-by", "terraform-provider-platform"),
        ],
    );
    let wd = moto.workdir(&stack("crash", "development", ""));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        describe(&moto, "us-east-1", "crash-main").unwrap().class,
        "db.t3.micro",
        "brought to the config"
    );
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Someone else's instance under our name is never taken over.
    create_instance(&moto, "taken-main", &[("owner", "another-team")]);
    let other = moto.workdir(&stack("taken", "development", ""));
    let out = other.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("Database Name Already Taken"),
        "{}",
        out.stderr
    );
    assert_eq!(
        describe(&moto, "us-east-1", "taken-main").unwrap().class,
        "db.t3.large",
        "untouched"
    );
}

#[test]
fn a_failed_replica_keeps_the_primary_in_state_and_the_next_apply_finishes() {
    let tf = find("1.15.5").expect("Terraform 1.15.5");
    let moto = Moto::start();
    let wd = moto.workdir(&stack("part", "development", ""));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();

    // The replica's name is taken by a stranger, so adding the replica fails.
    create_instance(&moto, "part-main-us-east-1", &[("owner", "another-team")]);
    wd.write_main_tf(&stack(
        "part",
        "development",
        "  read_replicas = [{ region = \"us-east-1\" }]",
    ));
    let failed = wd.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(failed.code, 0, "the replica failure is an error");
    assert!(
        failed.stderr.contains("read replica in us-east-1"),
        "names the failed child: {}",
        failed.stderr
    );
    let state = wd.state_json(&tf);
    let text = state.to_string();
    assert!(
        text.contains("part-main"),
        "the primary is still recorded: {text}"
    );
    assert!(describe(&moto, "us-east-1", "part-main").is_some());

    // Once the name is free, the next apply finishes the job.
    delete_instance(&moto, "part-main-us-east-1");
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        describe(&moto, "us-east-1", "part-main-us-east-1").is_some(),
        "replica created"
    );
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
}
