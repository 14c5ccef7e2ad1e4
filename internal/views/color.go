package views

// Colours used by the human views; empty when colour is off.
type palette struct {
	green, yellow, red, cyan, bold, dim, reset string
}

func newPalette(color bool) palette {
	if !color {
		return palette{}
	}
	return palette{
		green: "\x1b[32m", yellow: "\x1b[33m", red: "\x1b[31m", cyan: "\x1b[36m",
		bold: "\x1b[1m", dim: "\x1b[2m", reset: "\x1b[0m",
	}
}
