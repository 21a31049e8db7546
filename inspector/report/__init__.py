"""The paper's question answered with numbers: `build` reads the store into a `Report` (with `passk` and
`agreement`), `render` draws it (terminal, JSON, PNG, HTML), `table` is `inspect verify`'s summary."""
