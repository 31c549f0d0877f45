// Embedded migrations must be re-embedded when a migration file is added.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
