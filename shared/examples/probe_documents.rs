fn main() {
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt.block_on(factory_shared::documents::extract(
        bytes.into(),
        None,
        Some(&path),
        Default::default(),
    ));
    match out {
        Ok(e) => print!("{}", e.text),
        Err(e) => println!("ERR {e}"),
    }
}
