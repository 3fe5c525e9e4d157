fn main() -> std::process::ExitCode {
    osservatorio::cli::main()
}
