from optim_core.cli import main

raise SystemExit(main())
