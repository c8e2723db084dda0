//! A small fault-injecting HTTP proxy in front of moto: what real AWS does under load.
//!
//! Every request is forwarded to moto unless a [`Rule`] matches its AWS operation — the
//! `X-Amz-Target` header of JSON protocols (ECS, Application Auto Scaling, CloudWatch Logs)
//! or the `Action=` form parameter of query protocols (RDS, STS). A matching rule answers in
//! the service's place: a throttling error with the body the real service sends (HTTP 400,
//! `ThrottlingException` for JSON, `Throttling` for query), an HTTP 503, or a connection
//! closed without an answer. One request per connection (`Connection: close`), so a dropped
//! connection never poisons a pooled one.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the proxy answers instead of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// HTTP 400 with the service's throttling error.
    Throttle,
    /// HTTP 503 with the service's `ServiceUnavailable` error.
    Unavailable,
    /// Reads the request, then closes the connection without an answer.
    Drop,
}

/// When a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The first N requests of each matching operation, then never again.
    FirstOfOperation(u32),
    /// The first N attempts of every call (the SDK's `amz-sdk-invocation-id`): a burst
    /// that every single request meets before it passes.
    FirstOfEachCall(u32),
    /// Every request.
    Always,
}

/// One fault for some operations.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Operation names (`DescribeClusters`, `CreateDBInstance`); empty means every one.
    pub operations: Vec<String>,
    /// What to answer.
    pub fault: Fault,
    /// Which requests.
    pub scope: Scope,
}

impl Rule {
    pub fn new(fault: Fault, scope: Scope, operations: &[&str]) -> Rule {
        Rule {
            operations: operations.iter().map(|s| s.to_string()).collect(),
            fault,
            scope,
        }
    }

    fn matches(&self, operation: &str) -> bool {
        self.operations.is_empty() || self.operations.iter().any(|o| o == operation)
    }
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// Requests seen per operation.
    per_operation: HashMap<String, u32>,
    /// Attempts seen per SDK invocation id.
    per_call: HashMap<String, u32>,
    /// Faults injected, per operation and fault.
    injected: HashMap<(String, Fault), u32>,
    /// Every operation forwarded, in order.
    forwarded: Vec<String>,
    /// The bodies of the forwarded requests, by operation.
    bodies: Vec<(String, Vec<u8>)>,
}

/// The proxy; stops accepting when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// A proxy on a free loopback port forwarding to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, rules: Vec<Rule>) -> FaultProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("faults: upstream must be http://IP:PORT");
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("faults: bind");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            rules,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                thread::spawn(move || {
                    let _ = serve(conn, upstream, &st);
                });
            }
        });
        FaultProxy { addr, state, stop }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the rules (counters are kept).
    pub fn set_rules(&self, rules: Vec<Rule>) {
        self.state.lock().unwrap().rules = rules;
    }

    /// Faults injected so far, summed over operations.
    pub fn injected(&self, fault: Fault) -> u32 {
        let s = self.state.lock().unwrap();
        s.injected
            .iter()
            .filter(|((_, f), _)| *f == fault)
            .map(|(_, n)| n)
            .sum()
    }

    /// Faults injected so far for one operation.
    pub fn injected_for(&self, operation: &str, fault: Fault) -> u32 {
        let s = self.state.lock().unwrap();
        s.injected
            .get(&(operation.to_string(), fault))
            .copied()
            .unwrap_or(0)
    }

    /// Operations that reached moto, in order.
    pub fn forwarded(&self) -> Vec<String> {
        self.state.lock().unwrap().forwarded.clone()
    }

    /// The bodies of the forwarded requests of one operation, as text.
    pub fn bodies(&self, operation: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.bodies
            .iter()
            .filter(|(o, _)| o == operation)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    /// Distinct operations that met a fault, sorted.
    pub fn faulted_operations(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        let mut ops: Vec<String> = s.injected.keys().map(|(o, _)| o.clone()).collect();
        ops.sort();
        ops.dedup();
        ops
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// One request: its head lines, headers (lowercase names) and body.
struct Request {
    head: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `(operation, json protocol?)`
    fn operation(&self) -> (String, bool) {
        if let Some(target) = self.header("x-amz-target") {
            let op = target.rsplit('.').next().unwrap_or(target);
            return (op.to_string(), true);
        }
        let body = String::from_utf8_lossy(&self.body);
        let query = self.head.split_whitespace().nth(1).unwrap_or("");
        let action = body
            .split('&')
            .chain(query.split(['?', '&']))
            .find_map(|kv| kv.strip_prefix("Action="))
            .unwrap_or("unknown");
        (action.to_string(), false)
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut head = String::new();
    if reader.read_line(&mut head)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        head: head.trim_end().to_string(),
        headers,
        body,
    }))
}

fn serve(conn: TcpStream, upstream: SocketAddr, state: &Mutex<State>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let Some(req) = read_request(&mut reader)? else {
        return Ok(());
    };
    let (operation, json) = req.operation();
    let fault = {
        let mut s = state.lock().unwrap();
        let seen_op = {
            let n = s.per_operation.entry(operation.clone()).or_default();
            *n += 1;
            *n
        };
        let seen_call = match req.header("amz-sdk-invocation-id") {
            Some(id) => {
                let n = s.per_call.entry(id.to_string()).or_default();
                *n += 1;
                *n
            }
            None => 1,
        };
        let fault = s
            .rules
            .iter()
            .find(|r| {
                r.matches(&operation)
                    && match r.scope {
                        Scope::FirstOfOperation(n) => seen_op <= n,
                        Scope::FirstOfEachCall(n) => seen_call <= n,
                        Scope::Always => true,
                    }
            })
            .map(|r| r.fault);
        match fault {
            Some(f) => *s.injected.entry((operation.clone(), f)).or_default() += 1,
            None => {
                s.forwarded.push(operation.clone());
                s.bodies.push((operation.clone(), req.body.clone()));
            }
        }
        fault
    };
    let mut out = conn;
    match fault {
        Some(Fault::Drop) => {
            let _ = out.shutdown(Shutdown::Both);
            Ok(())
        }
        Some(Fault::Throttle) => {
            let (ctype, body) = if json {
                (
                    "application/x-amz-json-1.1",
                    r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
                )
            } else {
                (
                    "text/xml",
                    "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>0f6a2b1e-fault-proxy</RequestId></ErrorResponse>".to_string(),
                )
            };
            respond(
                &mut out,
                400,
                "Bad Request",
                ctype,
                &body,
                json,
                "ThrottlingException",
            )
        }
        Some(Fault::Unavailable) => {
            let (ctype, body) = if json {
                (
                    "application/x-amz-json-1.1",
                    r#"{"__type":"ServiceUnavailableException","message":"Service Unavailable"}"#
                        .to_string(),
                )
            } else {
                (
                    "text/xml",
                    "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service Unavailable</Message></Error><RequestId>0f6a2b1e-fault-proxy</RequestId></ErrorResponse>".to_string(),
                )
            };
            respond(
                &mut out,
                503,
                "Service Unavailable",
                ctype,
                &body,
                json,
                "ServiceUnavailableException",
            )
        }
        None => forward(&req, upstream, &mut out),
    }
}

fn respond(
    out: &mut TcpStream,
    code: u16,
    reason: &str,
    ctype: &str,
    body: &str,
    json: bool,
    error_type: &str,
) -> std::io::Result<()> {
    let extra = if json {
        format!("x-amzn-ErrorType: {error_type}\r\n")
    } else {
        String::new()
    };
    write!(
        out,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nx-amzn-RequestId: 0f6a2b1e-fault-proxy\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()
}

fn forward(req: &Request, upstream: SocketAddr, out: &mut TcpStream) -> std::io::Result<()> {
    let mut up = TcpStream::connect_timeout(&upstream, Duration::from_secs(5))?;
    up.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!("{}\r\n", req.head);
    for (k, v) in &req.headers {
        if k == "connection" || k == "keep-alive" {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    up.write_all(head.as_bytes())?;
    up.write_all(&req.body)?;
    up.flush()?;
    // moto answers one request per connection and closes: relay until EOF, making sure the
    // client closes too.
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]);
    let mut rewritten = String::new();
    for line in head.split("\r\n") {
        if line.is_empty() || line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        rewritten.push_str(line);
        rewritten.push_str("\r\n");
    }
    rewritten.push_str("Connection: close\r\n\r\n");
    out.write_all(rewritten.as_bytes())?;
    out.write_all(&response[split..])?;
    out.flush()
}
