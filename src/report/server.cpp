// See server.h.
#include "robustlab/report/server.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "robustlab/core/error.h"

namespace robustlab {

void HttpServerOptions::validate() const {
  if (host.empty()) throw InvalidArgument("server: host must not be empty");
  if (port < 0 || port > 65535) throw InvalidArgument("server: port must be in 0..65535, got " + std::to_string(port));
  if (threads < 1 || threads > 1024) throw InvalidArgument("server: threads must be in 1..1024");
  if (max_body_bytes < 1) throw InvalidArgument("server: max_body_bytes must be >= 1");
  if (timeout_seconds < 1) throw InvalidArgument("server: timeout_seconds must be >= 1");
}

std::unique_ptr<httplib::Server> make_http_server(const HttpServerOptions& o) {
  o.validate();
  auto server = std::make_unique<httplib::Server>();
  const std::size_t threads = o.threads;
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_payload_max_length(o.max_body_bytes);
  server->set_read_timeout(o.timeout_seconds, 0);
  server->set_write_timeout(o.timeout_seconds, 0);
  server->set_keep_alive_timeout(o.timeout_seconds);
  // httplib's default also sets SO_REUSEPORT, which lets a second server share a port in use
  // without an error; SO_REUSEADDR alone allows quick restarts and still refuses a taken port.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server->set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Referrer-Policy", "no-referrer"}});
  return server;
}

int bind_http_server(httplib::Server& server, const HttpServerOptions& o) {
  o.validate();
  const std::string where = o.host + ":" + std::to_string(o.port);
  if (o.port == 0) {
    const int port = server.bind_to_any_port(o.host);
    if (port <= 0) throw IoError("server: cannot bind to " + o.host + " (any port)");
    return port;
  }
  if (!server.bind_to_port(o.host, o.port)) throw IoError("server: cannot bind to " + where + " (address in use or not available)");
  return o.port;
}

void listen_until_interrupted(httplib::Server& server) {
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      try {
        throw_if_interrupted();
      } catch (const Interrupted&) {
        server.stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  const bool ok = server.listen_after_bind();
  done = true;
  watcher.join();
  if (!ok) throw IoError("server: listening failed");
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), "application/json");
}

}  // namespace robustlab
