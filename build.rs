fn main() {
    println!("cargo:rerun-if-changed=src/long_double.c");
    cc::Build::new()
        .file("src/long_double.c")
        .compile("embedis_long_double");
    if std::env::var_os("CARGO_FEATURE_LUA").is_some() {
        lua_libraries();
    }
}

/// Redis's Lua libraries (cjson, cmsgpack, bit, struct), from Redis 7.0.15's `deps/lua/src`, built
/// against the headers of the Lua that mlua vendors, with the defines Redis builds them with.
fn lua_libraries() {
    const FILES: &[&str] = &[
        "lua_cjson.c",
        "strbuf.c",
        "fpconv.c",
        "lua_cmsgpack.c",
        "lua_bit.c",
        "lua_struct.c",
        "lua_unpack.c",
    ];
    let include = std::env::var("DEP_LUA_INCLUDE").expect("mlua-sys reports the vendored Lua's include directory");
    let mut build = cc::Build::new();
    build
        .include(include)
        .include("src/script/c")
        .define("ENABLE_CJSON_GLOBAL", None)
        .define("REDIS_STATIC", Some(""))
        .warnings(false);
    for file in FILES {
        let path = format!("src/script/c/{file}");
        println!("cargo:rerun-if-changed={path}");
        build.file(path);
    }
    println!("cargo:rerun-if-changed=src/script/c");
    build.compile("embedis_redis_lua_libs");
}
