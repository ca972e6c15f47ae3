from simulator.cli import main

if __name__ == "__main__":  # a fork server re-imports __main__; it must not rerun the CLI
    main()
