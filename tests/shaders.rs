//! Every WGSL shader in `shaders/` parses and validates with naga, the
//! compiler wgpu uses, so a broken shader fails `cargo test` without a GPU.

use std::path::Path;

/// A family's source as the crate composes it (`src/backend/gpu/dispatch.rs`):
/// the shared math library, then the family's file.
fn validate(path: &Path) -> Result<usize, String> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders/lib/accurate_math.wgsl");
    let src = std::fs::read_to_string(lib).map_err(|e| e.to_string())?
        + &std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let module = naga::front::wgsl::parse_str(&src).map_err(|e| e.emit_to_string(&src))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .map_err(|e| format!("{e:?}"))?;
    Ok(module.entry_points.len())
}

#[test]
fn every_shader_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut checked = 0;
    let mut failures = vec![];
    for entry in std::fs::read_dir(&dir).expect("shaders/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("wgsl") {
            continue;
        }
        match validate(&path) {
            Ok(entry_points) => {
                assert!(entry_points > 0, "{} has no entry points", path.display());
                checked += 1;
            }
            Err(e) => failures.push(format!("{}:\n{e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "invalid shaders:\n{}",
        failures.join("\n")
    );
    assert!(
        checked >= 4,
        "expected the shader families in {}, found {checked}",
        dir.display()
    );
}

#[test]
fn a_broken_shader_is_caught() {
    let dir = std::env::temp_dir().join(format!("autorust-shader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("broken.wgsl");
    std::fs::write(
        &path,
        "@compute @workgroup_size(1) fn f() { let x: f32 = 1u; }",
    )
    .expect("write");
    assert!(validate(&path).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
