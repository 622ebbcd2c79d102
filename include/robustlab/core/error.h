// The error hierarchy of robustlab (../shared/DESIGN.md, "Errors"). The library throws these; the
// CLI maps each kind to a one-line message and its own exit code. A message names the function,
// the offending value and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace robustlab {

/// Base of every error robustlab throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  /// Process exit code the CLI uses for this kind of error.
  virtual int exit_code() const noexcept { return 1; }
};

/// A bad option value, an unknown name, an out-of-range flag.
class InvalidArgument : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 2; }
};

/// A file or directory that is missing, unreadable or cannot be written.
class IoError : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 3; }
};

/// A file that exists but is truncated, corrupt or of the wrong format.
class FormatError : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 4; }
};

/// Tensors whose shapes do not fit together (a model whose outputs do not fit the dataset).
class ShapeError : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 5; }
};

/// NaN or infinite values where finite ones are required.
class NumericalError : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 6; }
};

/// The first line of a third-party exception message (LibTorch appends stack traces), for
/// wrapping it into a one-line robustlab error.
std::string first_line(const std::string& message);

/// The informative line of a LibTorch error: for TorchScript interpreter errors (a traceback
/// ending in "RuntimeError: ...") the last non-empty line, otherwise the first line.
std::string torch_error_summary(const std::string& message);

}  // namespace robustlab

namespace robustlab {

/// The user asked the process to stop (Ctrl-C); long loops throw this at their next check.
class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted") {}
  int exit_code() const noexcept override { return 130; }
};

/// Asks long loops to stop (async-signal-safe: it only sets a flag).
void request_interrupt() noexcept;
/// Throws Interrupted if request_interrupt() was called. Progress::advance calls it.
void throw_if_interrupted();

}  // namespace robustlab
