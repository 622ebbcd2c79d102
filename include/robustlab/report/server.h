// The HTTP server robustlab's pages run on (cpp-httplib, Debian's libcpp-httplib-dev): one place for
// its limits, so that every server the toolkit opens (the web experiment now) has bounded request
// bodies, timeouts and a fixed pool of worker threads, binds to 127.0.0.1 unless told otherwise, and
// fails with a clear message when its port is taken.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace robustlab {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                        ///< 0: any free port
  std::size_t threads = 8;                ///< worker threads
  std::size_t max_body_bytes = 64 * 1024; ///< larger request bodies get 413
  int timeout_seconds = 10;               ///< read and write timeouts
  void validate() const;
};

/// A server with `options`' limits, not yet bound.
std::unique_ptr<httplib::Server> make_http_server(const HttpServerOptions& options);

/// Binds `server` to options.host:options.port; returns the port (the chosen one for port 0).
/// Throws IoError naming the address when it is in use or cannot be bound.
int bind_http_server(httplib::Server& server, const HttpServerOptions& options);

/// Serves on a bound `server` until server.stop() is called (from another thread) or the user asks
/// to stop (Ctrl-C: robustlab's interrupt flag, which a watcher thread polls, so that nothing but
/// setting that flag happens in the signal handler). Throws IoError when listening fails.
void listen_until_interrupted(httplib::Server& server);

/// Sets `res` to `body` as JSON with `status`, not cacheable.
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

}  // namespace robustlab
