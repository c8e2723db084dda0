//! Two Terraform states on the same names, end to end with real Terraform, moto and the
//! simulator: a create killed mid-apply (`kill -9` of Terraform and the provider, made
//! deterministic by a proxy that holds the call marking the create finished) is adopted
//! by the retry; a second state never adopts, changes or deletes what the first finished;
//! when several of its resources collide in one apply, each refusal names its own child;
//! and after a Ctrl-C (StopProvider) during a Fly.io create, the state records what exists.

use crate::harness::{
    Aws, Cloud, Moto, REQUIRED_PROVIDERS, Terraform, Workdir, block_on, newest_terraform,
};
use crate::sim::{Sim, TOKEN};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// A proxy that holds one request
// ---------------------------------------------------------------------------------------

/// A TCP proxy in front of an HTTP server that forwards everything, except that the first
/// request whose bytes contain `pattern` is held: never forwarded, never answered.
struct HoldProxy {
    endpoint: String,
    held: Arc<AtomicBool>,
}

impl HoldProxy {
    fn start(upstream: SocketAddr, pattern: &'static str) -> HoldProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let held = Arc::new(AtomicBool::new(false));
        let claimed = Arc::new(Mutex::new(false));
        let flag = held.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (flag, claimed) = (flag.clone(), claimed.clone());
                thread::spawn(move || pump(client, upstream, pattern, &flag, &claimed));
            }
        });
        HoldProxy { endpoint, held }
    }

    /// Waits until the request is held.
    fn wait_held(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(180);
        while !self.held.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "{what} was never requested");
            thread::sleep(Duration::from_millis(50));
        }
    }
}

fn pump(
    mut client: TcpStream,
    upstream: SocketAddr,
    pattern: &str,
    held: &AtomicBool,
    claimed: &Mutex<bool>,
) {
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let (mut from_server, mut to_client) = match (server.try_clone(), client.try_clone()) {
        (Ok(s), Ok(c)) => (s, c),
        _ => return,
    };
    thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Write);
    });
    let mut buf = vec![0u8; 64 * 1024];
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => {
                let _ = server.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
        };
        let mut window = std::mem::take(&mut tail);
        window.extend_from_slice(&buf[..n]);
        let hit = window
            .windows(pattern.len())
            .any(|w| w == pattern.as_bytes());
        if hit {
            let mut c = claimed.lock().unwrap();
            if !*c {
                *c = true;
                held.store(true, Ordering::SeqCst);
                drop(c);
                // Held: the caller waits for an answer that never comes.
                loop {
                    thread::sleep(Duration::from_secs(3600));
                }
            }
        }
        if server.write_all(&buf[..n]).is_err() {
            return;
        }
        tail = window[window.len().saturating_sub(256)..].to_vec();
    }
}

/// `kill -9` of every process running in `dir`: Terraform and the provider it started.
fn kill_everything_in(dir: &Path) -> usize {
    let dir = std::fs::canonicalize(dir).unwrap();
    let me = std::process::id();
    let mut killed = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"));
        if cwd.is_ok_and(|c| c == dir) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            killed += 1;
        }
    }
    killed
}

/// Runs `terraform apply` through `proxy`, and kills it (`-9`) once the held request came.
fn apply_killed_at(tf: &Terraform, wd: &Workdir, proxy: &HoldProxy, env: &str, what: &str) {
    thread::scope(|s| {
        let run = s.spawn(|| {
            wd.run_with_env(
                tf,
                &["apply", "-no-color", "-auto-approve"],
                &[(env, proxy.endpoint.as_str())],
            )
        });
        proxy.wait_held(what);
        assert!(kill_everything_in(wd.path()) > 0, "nothing to kill");
        let out = run.join().unwrap();
        assert_ne!(out.code, 0, "the killed apply cannot succeed:\n{out}");
    });
}

fn addr(endpoint: &str) -> SocketAddr {
    endpoint
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn state_list(tf: &Terraform, wd: &Workdir) -> Vec<String> {
    let out = wd.run(tf, &["state", "list"]);
    out.stdout.lines().map(str::to_string).collect()
}

// ---------------------------------------------------------------------------------------
// What moto holds
// ---------------------------------------------------------------------------------------

/// `(ARN, tags)` of a cluster.
fn cluster(c: &Aws, name: &str) -> Option<(String, BTreeMap<String, String>)> {
    block_on(async {
        let out = c
            .ecs
            .describe_clusters()
            .clusters(name)
            .include(aws_sdk_ecs::types::ClusterField::Tags)
            .send()
            .await
            .unwrap();
        out.clusters()
            .iter()
            .find(|c| c.status() == Some("ACTIVE"))
            .map(|c| {
                (
                    c.cluster_arn().unwrap_or_default().to_string(),
                    c.tags()
                        .iter()
                        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
                        .collect(),
                )
            })
    })
}

/// `(ARN, tags)` of a DB instance.
fn instance(moto: &Moto, id: &str) -> Option<(String, BTreeMap<String, String>)> {
    block_on(async {
        let out = Aws::new(moto)
            .rds
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .ok()?;
        out.db_instances().first().map(|d| {
            (
                d.db_instance_arn().unwrap_or_default().to_string(),
                d.tag_list()
                    .iter()
                    .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
                    .collect(),
            )
        })
    })
}

/// Everything of a stack that a second state could touch, as one comparable text: the
/// cluster, the database, the service, its task definition revisions and log group, with
/// ARNs, settings and tags.
fn fingerprint(c: &Aws, moto: &Moto, env: &str) -> String {
    let cluster_name = format!("{env}-cluster");
    let mut out = format!("cluster {:?}\n", cluster(c, &cluster_name));
    out.push_str(&format!(
        "db {:?}\n",
        block_on(async {
            Aws::new(moto)
                .rds
                .describe_db_instances()
                .db_instance_identifier(format!("{env}-main"))
                .send()
                .await
                .ok()
                .and_then(|o| o.db_instances().first().cloned())
                .map(|d| {
                    // Everything a second state could change (moto moves the restorable
                    // time forward on its own).
                    format!(
                        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                        d.db_instance_arn(),
                        d.db_instance_status(),
                        d.db_instance_class(),
                        d.allocated_storage(),
                        d.backup_retention_period(),
                        d.deletion_protection(),
                        d.instance_create_time(),
                        d.tag_list()
                    )
                })
        })
    ));
    block_on(async {
        let svc = c
            .ecs
            .describe_services()
            .cluster(&cluster_name)
            .services(format!("{env}-api"))
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .unwrap();
        for s in svc.services() {
            out.push_str(&format!(
                "service {:?} {:?} {:?} {} {:?}\n",
                s.service_arn(),
                s.status(),
                s.task_definition(),
                s.desired_count(),
                s.tags()
            ));
        }
        let revisions = c
            .ecs
            .list_task_definitions()
            .family_prefix(format!("{env}-api"))
            .send()
            .await
            .unwrap();
        out.push_str(&format!(
            "revisions {:?}\n",
            revisions.task_definition_arns()
        ));
        let groups = c
            .logs
            .describe_log_groups()
            .log_group_name_prefix(format!("/platform/{env}/"))
            .send()
            .await
            .unwrap();
        for g in groups.log_groups() {
            let tags = c
                .logs
                .list_tags_for_resource()
                .resource_arn(g.log_group_arn().unwrap_or_default())
                .send()
                .await
                .map(|t| {
                    format!(
                        "{:?}",
                        t.tags().map(|m| m.iter().collect::<BTreeMap<_, _>>())
                    )
                })
                .unwrap_or_default();
            out.push_str(&format!(
                "log group {:?} {:?} {tags}\n",
                g.log_group_name(),
                g.retention_in_days()
            ));
        }
    });
    out
}

fn stack(env: &str, network: &str, with_service: bool) -> String {
    let service = if with_service {
        r#"
resource "platform_api_service" "api" {
  environment        = platform_environment.env.context
  name               = "api"
  host               = "aws_fargate"
  image              = "ghcr.io/example/api:1.0.0"
  execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
}
"#
    } else {
        ""
    };
    format!(
        r#"
{REQUIRED_PROVIDERS}
resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "development"
  region = "us-east-1"
{network}
}}

resource "platform_database" "db" {{
  environment = platform_environment.env.context
  name        = "main"
}}
{service}"#
    )
}

/// Terraform's output as one line per paragraph, unwrapped (it wraps at 80 columns).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

#[test]
fn a_create_killed_mid_apply_is_adopted_by_the_retry() {
    let tf = newest_terraform();
    let moto = Moto::start();
    let c = Aws::new(&moto);
    let config = stack("crash", "", false);
    let wd = moto.workdir(&config);

    // 1. Killed once the cluster exists but before its create is marked finished.
    let proxy = HoldProxy::start(
        addr(&moto.endpoint()),
        "ContainerServiceV20141113.UntagResource",
    );
    apply_killed_at(&tf, &wd, &proxy, "AWS_ENDPOINT_URL", "ECS UntagResource");
    let (arn, tags) = cluster(&c, "crash-cluster").expect("the cluster was made");
    assert_eq!(
        tags.get("platform:lifecycle").map(String::as_str),
        Some("creating"),
        "{tags:?}"
    );
    assert!(state_list(&tf, &wd).is_empty(), "nothing was recorded");

    // 2. The retry adopts the cluster (same ARN, marked finished), then is killed once the
    //    database exists but before its create is marked finished.
    let proxy = HoldProxy::start(addr(&moto.endpoint()), "Action=RemoveTagsFromResource");
    apply_killed_at(
        &tf,
        &wd,
        &proxy,
        "AWS_ENDPOINT_URL",
        "RDS RemoveTagsFromResource",
    );
    let (adopted, tags) = cluster(&c, "crash-cluster").unwrap();
    assert_eq!(adopted, arn, "the same cluster, adopted");
    assert!(!tags.contains_key("platform:lifecycle"), "{tags:?}");
    let (db_arn, db_tags) = instance(&moto, "crash-main").expect("the database was made");
    assert_eq!(
        db_tags.get("platform:lifecycle").map(String::as_str),
        Some("creating")
    );

    // 3. The next retry adopts the database; then nothing is left to do.
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let (adopted, db_tags) = instance(&moto, "crash-main").unwrap();
    assert_eq!(adopted, db_arn, "the same database, adopted");
    assert!(!db_tags.contains_key("platform:lifecycle"), "{db_tags:?}");
    assert_eq!(cluster(&c, "crash-cluster").unwrap().0, arn);
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
}

/// The IAM role a Fargate service's generated execution role gets: `(ARN, tags)`.
fn role(c: &Aws, name: &str) -> Option<(String, BTreeMap<String, String>)> {
    block_on(async {
        let role = c.iam.get_role().role_name(name).send().await.ok()?.role?;
        let tags = c
            .iam
            .list_role_tags()
            .role_name(name)
            .send()
            .await
            .ok()?
            .tags
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect();
        Some((role.arn, tags))
    })
}

/// `(ARN, tags)` of a log group.
fn log_group(c: &Aws, name: &str) -> Option<(String, BTreeMap<String, String>)> {
    block_on(async {
        let groups = c
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .ok()?;
        let arn = groups
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))?
            .log_group_arn()?
            .to_string();
        let tags = c
            .logs
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .ok()?
            .tags
            .unwrap_or_default()
            .into_iter()
            .collect();
        Some((arn, tags))
    })
}

#[test]
fn a_fargate_create_killed_before_its_anchor_is_finished_is_adopted_by_the_retry() {
    let tf = newest_terraform();
    let Cloud {
        moto,
        aws: c,
        network,
    } = Cloud::with_network();
    let config = format!(
        r#"
{REQUIRED_PROVIDERS}
resource "platform_environment" "env" {{
  name   = "anchor"
  tier   = "development"
  region = "us-east-1"
{network}
}}

resource "platform_api_service" "api" {{
  environment = platform_environment.env.context
  name        = "api"
  host        = "aws_fargate"
  image       = "ghcr.io/example/api:1.0.0"
}}
"#,
        network = network.block()
    );
    let wd = moto.workdir(&config);

    // 1. Killed when the service's last call is made: the log group's marker removal.
    //    Every child exists; only the log group (the anchor) carries the marker.
    let proxy = HoldProxy::start(addr(&moto.endpoint()), "Logs_20140328.UntagResource");
    apply_killed_at(
        &tf,
        &wd,
        &proxy,
        "AWS_ENDPOINT_URL",
        "CloudWatch Logs UntagResource",
    );
    let (group_arn, group_tags) =
        log_group(&c, "/platform/anchor/api").expect("the log group was made");
    assert_eq!(
        group_tags.get("platform:lifecycle").map(String::as_str),
        Some("creating"),
        "the anchor is marked: {group_tags:?}"
    );
    let (role_arn, role_tags) = role(&c, "anchor-api-execution").expect("the role was made");
    assert!(
        !role_tags.contains_key("platform:lifecycle"),
        "{role_tags:?}"
    );
    let service_before = fingerprint(&c, &moto, "anchor");
    assert!(service_before.contains("service Some("), "{service_before}");
    assert!(
        !service_before
            .lines()
            .filter(|l| !l.starts_with("log group"))
            .any(|l| l.contains("platform:lifecycle")),
        "only the anchor is marked:\n{service_before}"
    );
    assert_eq!(
        state_list(&tf, &wd),
        vec!["platform_environment.env".to_string()],
        "the service was not recorded"
    );

    // 2. The retry adopts every child (the same ARNs) and finishes the anchor.
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let (adopted, group_tags) = log_group(&c, "/platform/anchor/api").unwrap();
    assert_eq!(adopted, group_arn, "the same log group");
    assert!(
        !group_tags.contains_key("platform:lifecycle"),
        "{group_tags:?}"
    );
    assert_eq!(role(&c, "anchor-api-execution").unwrap().0, role_arn);
    let after = fingerprint(&c, &moto, "anchor");
    let service_line = |f: &str| {
        f.lines()
            .find(|l| l.starts_with("service "))
            .map(|l| l.split(' ').nth(1).unwrap_or_default().to_string())
    };
    assert_eq!(service_line(&after), service_line(&service_before));
    assert!(!after.contains("platform:lifecycle"), "{after}");
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
}

#[test]
fn a_second_state_never_adopts_changes_or_deletes_the_first_states_resources() {
    let tf = newest_terraform();
    let Cloud {
        moto,
        aws: c,
        network,
    } = Cloud::with_network();
    let config = stack("own", &network.block(), true);
    let first = moto.workdir(&config);
    first
        .run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let before = fingerprint(&c, &moto, "own");
    assert!(before.contains("own-cluster"), "{before}");
    assert!(!before.contains("platform:lifecycle"), "finished: {before}");
    let unchanged = |when: &str| {
        assert_eq!(fingerprint(&c, &moto, "own"), before, "{when}");
        first
            .run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
            .expect_code(0);
    };

    // A second working directory with the same names: refused, with the import command.
    let second = moto.workdir(&config);
    let out = second.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(out.code, 0, "{out}");
    let text = flat(&out.stderr);
    for want in [
        "Cluster Name Already Taken",
        "The ECS cluster `own-cluster` already exists",
        "another Terraform state",
        "`terraform import platform_environment.NAME own`",
    ] {
        assert!(text.contains(want), "lacks {want}: {text}");
    }
    assert!(state_list(&tf, &second).is_empty(), "nothing claimed");
    unchanged("after the refused apply");

    // Told to, the user imports the environment; the database and the service still
    // collide in one apply, and each refusal names its own resource.
    second
        .run(
            &tf,
            &["import", "-no-color", "platform_environment.env", "own"],
        )
        .expect_success();
    let out = second.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(out.code, 0, "{out}");
    let diagnostics: Vec<String> = out.stderr.split("Error: ").skip(1).map(flat).collect();
    let db = diagnostics
        .iter()
        .find(|d| d.starts_with("Database Name Already Taken"))
        .unwrap_or_else(|| panic!("no database refusal: {diagnostics:#?}"));
    assert!(db.contains("The RDS instance `own-main`"), "{db}");
    assert!(
        db.contains("`terraform import platform_database.NAME own/main`"),
        "{db}"
    );
    assert!(!db.contains("own-api"), "names only its own: {db}");
    let svc = diagnostics
        .iter()
        .find(|d| d.starts_with("Service Name Already Taken"))
        .unwrap_or_else(|| panic!("no service refusal: {diagnostics:#?}"));
    assert!(
        svc.contains("The ECS service `own-api` in cluster `own-cluster`"),
        "{svc}"
    );
    assert!(
        svc.contains("`terraform import platform_api_service.NAME own/api`"),
        "{svc}"
    );
    assert!(!svc.contains("own-main"), "names only its own: {svc}");
    unchanged("after the refused database and service");

    // The second state's destroy deletes nothing of the first (the imported environment
    // is first removed from it, as a user sharing it would).
    second
        .run(
            &tf,
            &["state", "rm", "-no-color", "platform_environment.env"],
        )
        .expect_success();
    second
        .run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    unchanged("after the second state's destroy");
}

#[test]
fn a_cancelled_fly_create_records_what_exists() {
    let tf = newest_terraform();
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    // The machine is created; its wait is held, and Terraform is interrupted (Ctrl-C).
    let proxy = HoldProxy::start(addr(&sim.fly_endpoint()), "/wait?");
    let config = format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{
  endpoints {{
    fly = "{}/fly"
  }}
}}

resource "platform_environment" "env" {{
  name   = "stop"
  tier   = "development"
  region = "us-east-1"
}}

resource "platform_api_service" "api" {{
  environment = platform_environment.env.context
  name        = "api"
  host        = "fly"
  image       = "registry.fly.io/api:1"
  regions     = ["iad"]
}}
"#,
        proxy.endpoint
    );
    let mut wd = moto.workdir(&config);
    wd.set_env("FLY_API_TOKEN", TOKEN);
    let out = thread::scope(|s| {
        let run = s.spawn(|| wd.run(&tf, &["apply", "-no-color", "-auto-approve"]));
        proxy.wait_held("Fly.io WaitMachine");
        // SIGINT to Terraform alone: it sends StopProvider and waits for the provider.
        let dir = std::fs::canonicalize(wd.path()).unwrap();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
            if cwd == dir
                && !exe
                    .to_string_lossy()
                    .contains("terraform-provider-platform")
            {
                let _ = std::process::Command::new("kill")
                    .args(["-INT", &pid.to_string()])
                    .status();
            }
        }
        run.join().unwrap()
    });
    assert_ne!(out.code, 0, "{out}");
    let text = flat(&out.stderr);
    assert!(text.contains("cancelled"), "{text}");
    let state = wd.state_json(&tf);
    let service = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "platform_api_service")
        .unwrap_or_else(|| panic!("the service is recorded: {state}"))
        .clone();
    let ids = &service["values"]["child_ids"];
    assert!(ids.is_object(), "child_ids recorded: {service}");
    assert_eq!(ids["fly_app"], "stop-api", "{service}");
    assert!(
        ids.as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("fly_machine")),
        "the machine that exists is recorded: {service}"
    );
}
