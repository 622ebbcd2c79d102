// robustlab report: the results store as one self-contained HTML file; robustlab serve: the same
// page served live from the store on 127.0.0.1 (cpp-httplib), reloading itself as results arrive.
#include <iostream>

#include <httplib.h>

#include "common.h"

#include "robustlab/core/error.h"
#include "robustlab/core/log.h"
#include "robustlab/report/report.h"
#include "robustlab/report/server.h"

namespace robustlab::cli {

void add_report_command(CLI::App& app, Globals& g) {
  struct Flags {
    int64_t run = 0;
    std::string output = "report.html";
    std::string title = "robustlab report";
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("report", "Write an HTML report (plots and tables, offline, self-contained) of the results store");
  cmd->add_option("--run", f->run, "Only this run (default: every run)");
  cmd->add_option("-o,--output", f->output, "Output file")->capture_default_str();
  cmd->add_option("--title", f->title, "Page title")->capture_default_str();
  cmd->callback([f, &g] {
    apply_globals(g);
    const Store store(g.db);
    report::ReportOptions options;
    if (f->run > 0) options.run = f->run;
    options.title = f->title;
    report::write_report(store, options, f->output);
    if (f->run > 0 && !store.run(f->run)) log_warning("run ", f->run, " does not exist; the report says so");
    std::cout << "report written to " << f->output << "\n";
  });
}

void add_serve_command(CLI::App& app, Globals& g) {
  struct Flags {
    int port = 8765;
    std::string host = "127.0.0.1";
    int refresh = 5;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("serve", "Serve the report live from the results store (reloads every few seconds)");
  cmd->add_option("--port", f->port, "TCP port")->check(CLI::Range(1, 65535))->capture_default_str();
  cmd->add_option("--host", f->host, "Address to bind (only this machine by default)")->capture_default_str();
  cmd->add_option("--refresh", f->refresh, "Seconds between reloads of the page (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([f, &g] {
    apply_globals(g);
    const std::string db = g.db;
    { Store check(db); }  // fails now, with its message, if the database cannot be opened
    const auto server_ptr = make_http_server(HttpServerOptions{.host = f->host, .port = f->port});
    httplib::Server& server = *server_ptr;
    // Only the report's own pages exist: no file is served from disk, so no path can escape.
    auto page = [db, f](const httplib::Request&, httplib::Response& res) {
      try {
        const Store store(db);
        report::ReportOptions options;
        options.refresh_seconds = f->refresh;
        res.set_content(report::render_html(store, options), "text/html; charset=utf-8");
      } catch (const std::exception& e) {
        res.status = 500;
        res.set_content(std::string("robustlab serve: ") + e.what(), "text/plain; charset=utf-8");
      }
    };
    server.Get("/", page);
    server.Get("/report.html", page);
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.status == 404) res.set_content("not found", "text/plain");
    });
    bind_http_server(server, HttpServerOptions{.host = f->host, .port = f->port});
    std::cout << "serving the report of " << db << " at http://" << f->host << ":" << f->port << "/ (Ctrl-C stops)"
              << std::endl;
    listen_until_interrupted(server);
  });
}

}  // namespace robustlab::cli
