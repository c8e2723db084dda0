//! Compiles `proto/` into tonic server code with protox, a pure-Rust protobuf compiler,
//! so building needs no system `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "tfplugin6.proto",
        "grpc_controller.proto",
        "grpc_stdio.proto",
        "grpc_broker.proto",
        "health.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed=proto/{f}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        // RPCs we do not implement answer `Unimplemented` instead of hanging.
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
