// StaticFiles: pages and assets from a directory, on the same port as WebSocket routes.
#include "e2e/support.hpp"

#include <filesystem>
#include <fstream>
#include <random>

namespace {

namespace fs = std::filesystem;
namespace http = test::http;
using test::HttpSession;

void writeFile(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

/// A document root with one file of each served type, a subdirectory, and things outside the
/// root that requests must never reach: a secret file and symlinks pointing at it.
struct Site {
  Site() {
    std::random_device rd;
    base = fs::temp_directory_path() / ("ratchet-static-" + std::to_string(rd()));
    root = base / "www";
    writeFile(root / "index.html", "<h1>home</h1>");
    writeFile(root / "app.js", "console.log(1)");
    writeFile(root / "style.css", "body{}");
    writeFile(root / "logo.svg", "<svg/>");
    writeFile(root / "pixel.png", std::string("\x89PNG\r\n\x1a\n", 8));
    writeFile(root / "data.json", "{}");
    writeFile(root / "sub" / "index.html", "<h1>sub</h1>");
    writeFile(root / "sub" / "a file.txt", "spaced");
    writeFile(base / "secret.txt", "secret");
    fs::create_symlink(base / "secret.txt", root / "leak.txt");
    fs::create_directory_symlink(base, root / "up");
    fs::create_symlink(root / "app.js", root / "alias.js");  // inside the root: served
  }
  ~Site() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
  fs::path base, root;
};

struct Server {
  explicit Server(const Site& site)
      : app(test::testOptions(), [&](ratchet::App& a) {
          a.route("/echo", std::make_shared<ratchet::EchoServer>(), {"*"});
          ratchet::StaticFiles::Options assets;
          assets.urlPrefix = "/assets";
          a.route("/assets/*", std::make_shared<ratchet::StaticFiles>(site.root / "sub", assets));
          a.route("/*", std::make_shared<ratchet::StaticFiles>(site.root));
        }) {}
  std::uint16_t port() { return app.port(); }
  test::Running<test::RoutedApp> app;
};

}  // namespace

TEST_CASE("static files: content types, index, HEAD, on one keep-alive connection") {
  Site site;
  Server server(site);
  HttpSession s(server.port());
  const std::pair<const char*, const char*> files[] = {
      {"/", "text/html; charset=utf-8"},
      {"/index.html", "text/html; charset=utf-8"},
      {"/app.js", "text/javascript; charset=utf-8"},
      {"/style.css", "text/css; charset=utf-8"},
      {"/logo.svg", "image/svg+xml"},
      {"/pixel.png", "image/png"},
      {"/data.json", "application/json"},
      {"/alias.js", "text/javascript; charset=utf-8"},
  };
  for (const auto& [path, type] : files) {
    INFO(path);
    const auto r = s.get(path);
    CHECK(r.result_int() == 200);
    CHECK(r[http::field::content_type] == type);
    CHECK(r[http::field::connection] == "keep-alive");
    CHECK(r.count(http::field::etag) == 1);
    CHECK(r.count(http::field::last_modified) == 1);
  }
  CHECK(s.get("/").body() == "<h1>home</h1>");
  CHECK(s.get("/pixel.png").body() == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(s.get("/sub/").body() == "<h1>sub</h1>");
  CHECK(s.get("/sub/a%20file.txt").body() == "spaced");
  CHECK(s.get("/assets/").body() == "<h1>sub</h1>");  // a prefix route maps below its prefix
  CHECK(s.get("/index.html?v=2").body() == "<h1>home</h1>");

  const auto head = s.request(HttpSession::make(http::verb::head, "/app.js"));
  CHECK(head.result_int() == 200);
  CHECK(head[http::field::content_length] == "14");
  CHECK(head.body().empty());

  const auto dir = s.get("/sub?x=1");
  CHECK(dir.result_int() == 301);
  CHECK(dir[http::field::location] == "/sub/?x=1");

  const auto post = s.request(HttpSession::make(http::verb::post, "/index.html", "x"));
  CHECK(post.result_int() == 405);
  CHECK(post[http::field::allow] == "GET, HEAD");
  CHECK(s.request(HttpSession::make(http::verb::post, "/missing", "x")).result_int() == 404);

  // The WebSocket route beside it is unaffected.
  test::WsClient ws(server.port(), "/echo");
  ws.send("hi");
  CHECK(ws.read() == "hi");
}

TEST_CASE("static files: ETag and Last-Modified revalidate with 304") {
  Site site;
  Server server(site);
  HttpSession s(server.port());
  const auto first = s.get("/style.css");
  const std::string etag(first[http::field::etag]);
  const std::string modified(first[http::field::last_modified]);

  auto byTag = HttpSession::make(http::verb::get, "/style.css");
  byTag.set(http::field::if_none_match, "\"other\", " + etag);
  const auto notModified = s.request(byTag);
  CHECK(notModified.result_int() == 304);
  CHECK(notModified.body().empty());
  CHECK(notModified[http::field::etag] == etag);

  auto byDate = HttpSession::make(http::verb::get, "/style.css");
  byDate.set(http::field::if_modified_since, modified);
  CHECK(s.request(byDate).result_int() == 304);

  auto stale = HttpSession::make(http::verb::get, "/style.css");
  stale.set(http::field::if_none_match, "\"stale\"");
  stale.set(http::field::if_modified_since, modified);  // If-None-Match decides
  CHECK(s.request(stale).result_int() == 200);

  auto old = HttpSession::make(http::verb::get, "/style.css");
  old.set(http::field::if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT");
  const auto changed = s.request(old);
  CHECK(changed.result_int() == 200);
  CHECK(changed.body() == "body{}");

  // A changed file gets a new ETag.
  writeFile(site.root / "style.css", "body{color:red}");
  const auto fresh = s.request(byTag);
  CHECK(fresh.result_int() == 200);
  CHECK(fresh.body() == "body{color:red}");
}

TEST_CASE("static files: nothing outside the root is reachable") {
  Site site;
  Server server(site);
  const char* attempts[] = {
      "/../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E%2Fsecret.txt",
      "/sub/..%2f..%2fsecret.txt",
      "/sub/%2e%2e/%2e%2e/secret.txt",
      "//secret.txt",
      "/leak.txt",       // a symlink to a file outside
      "/up/secret.txt",  // through a symlinked directory
      "/missing.html",
      "/sub/missing/",
  };
  for (const char* target : attempts) {
    INFO(std::string(target));
    test::RawClient raw(server.port());
    raw.write(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto response = raw.readAll();
    CHECK(response.starts_with("HTTP/1.1 404 "));
    CHECK(response.find("secret") == std::string::npos);
  }
  CHECK(test::rawStatus(server.port(),
                        "GET /%00index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") ==
        400);
  CHECK(test::rawStatus(server.port(),
                        "GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 400);
  // An absolute-form target names no file under the root either.
  CHECK(test::rawStatus(
            server.port(),
            "GET http://x/../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 404);
  HttpSession s(server.port());
  CHECK(s.get("/").result_int() == 200);
}

TEST_CASE("static files: a root that is not a directory is refused at setup") {
  CHECK_THROWS_AS(ratchet::StaticFiles("/nonexistent/ratchet-www"), std::invalid_argument);
}
