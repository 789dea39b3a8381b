// Typed errors. The library throws and never exits; program mains map them to exit codes:
// UserError (bad usage, config or input) -> 2, anything else -> 1.
#pragma once

#include <stdexcept>
#include <string>

namespace axnn {

// Base of every axnn error; plain runtime failures (I/O trouble, a NaN loss) use it directly.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user can fix it: wrong command line, config, or input file.
class UserError : public Error {
 public:
  using Error::Error;
};

class UsageError : public UserError {
 public:
  using UserError::UserError;
};

// A config key is missing, unknown or of the wrong type; the message names the key path.
class ConfigError : public UserError {
 public:
  using UserError::UserError;
};

// An input file is missing, not HDF5, of the wrong kind or schema version, or malformed.
class InputError : public UserError {
 public:
  using UserError::UserError;
};

// Exit codes shared by every program.
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUserError = 2 };

}  // namespace axnn
