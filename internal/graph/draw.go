package graph

import (
	"fmt"
	"html"
	"strconv"
	"strings"
)

// DOT returns the graph in Graphviz's DOT language: hosts are shared
// nodes (a member that is also a director is one node), VIPs are ellipses
// inside a box per VRRP instance, virtual services are components;
// edges go VIP → member (bold where the member holds it, live), director
// → service, service → real server (labelled with mode and weight; live,
// green when it can take traffic, red when not).
func DOT(g Graph) string {
	var b strings.Builder
	b.WriteString("digraph cluster {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\", fontsize=10];\n  edge [fontname=\"sans-serif\", fontsize=9];\n")
	host := func(name string) string { return strconv.Quote("host:" + name) }
	hosts := map[string]bool{}
	declare := func(name, color string) {
		if hosts[name] {
			return
		}
		hosts[name] = true
		attr := ""
		if color != "" {
			attr = fmt.Sprintf(", color=%s", color)
		}
		fmt.Fprintf(&b, "  %s [label=%s%s];\n", host(name), strconv.Quote(name), attr)
	}
	for _, in := range g.Instances {
		fmt.Fprintf(&b, "  subgraph %s {\n    label=%s;\n    style=rounded;\n", strconv.Quote("cluster_vrrp_"+in.Name), strconv.Quote(fmt.Sprintf("VRRP %s (VRID %d, %s)", in.Name, in.VRID, in.Interface)))
		for _, v := range in.VIPs {
			fmt.Fprintf(&b, "    %s [shape=ellipse, label=%s];\n", strconv.Quote("vip:"+in.Name+":"+v), strconv.Quote("VIP "+v))
		}
		b.WriteString("  }\n")
		for _, m := range in.Members {
			declare(m.Host, stateColor(m.State))
			for _, v := range in.VIPs {
				style := "dashed"
				if m.Holds {
					style = "bold"
				}
				fmt.Fprintf(&b, "  %s -> %s [label=%s, style=%s];\n", strconv.Quote("vip:"+in.Name+":"+v), host(m.Host), strconv.Quote(m.label()[len(m.Host)+1:]), style)
			}
		}
	}
	for _, s := range g.Services {
		svc := strconv.Quote("svc:" + s.Name)
		fmt.Fprintf(&b, "  %s [shape=component, label=%s];\n", svc, strconv.Quote(s.label()))
		for _, d := range s.Directors {
			declare(d, "")
			fmt.Fprintf(&b, "  %s -> %s [label=\"director\"];\n", host(d), svc)
		}
		for _, r := range s.Real {
			node := strconv.Quote("rs:" + r.Address)
			if r.Host != "" {
				node = host(r.Host)
				declare(r.Host, "")
			} else {
				fmt.Fprintf(&b, "  %s [label=%s];\n", node, strconv.Quote(r.Address))
			}
			attr := fmt.Sprintf("label=%s", strconv.Quote(fmt.Sprintf("%s %s w%d", s.Mode, r.Address, r.Weight)))
			switch r.liveWord(g.Live) {
			case "up":
				attr += ", color=darkgreen"
			case "DOWN":
				attr += ", color=red, style=dashed"
			}
			fmt.Fprintf(&b, "  %s -> %s [%s];\n", svc, node, attr)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// stateColor colours a member by its live state.
func stateColor(state string) string {
	switch state {
	case "":
		return ""
	case "MASTER":
		return "darkgreen"
	case "BACKUP":
		return "blue"
	}
	return "red"
}

// Text returns a compact drawing for a terminal: one tree per VRRP
// instance (its members, which holds the VIPs) and per virtual service
// (its directors and real servers).
func Text(g Graph) string {
	var b strings.Builder
	for _, in := range g.Instances {
		fmt.Fprintf(&b, "VRRP %s  VRID %d on %s  VIP %s\n", in.Name, in.VRID, in.Interface, strings.Join(in.VIPs, ", "))
		for i, m := range in.Members {
			line := m.label()
			if m.Holds {
				line += "  ◀ holds the VIPs"
			}
			fmt.Fprintf(&b, "  %s %s\n", branch(i, len(in.Members)), line)
		}
	}
	for _, s := range g.Services {
		fmt.Fprintf(&b, "LVS %s  (managed by %s)\n", s.label(), s.ManagedBy)
		fmt.Fprintf(&b, "  directors: %s\n", strings.Join(s.Directors, ", "))
		for i, r := range s.Real {
			line := r.label()
			if w := r.liveWord(g.Live); w != "" {
				line += "  " + w
			}
			fmt.Fprintf(&b, "  %s▶ %s\n", branch(i, len(s.Real)), line)
		}
	}
	if g.Live {
		fmt.Fprintf(&b, "(live: %s)\n", g.Verdict)
	}
	return b.String()
}

func branch(i, n int) string {
	if i == n-1 {
		return "└─"
	}
	return "├─"
}

// SVG returns a standalone drawing: per VRRP instance a box with its VIPs
// joined to its members (solid to the holder, live), per virtual service
// its directors on the left, the service in the middle and its real
// servers on the right, with the mode and weight on each edge. It needs
// no Graphviz: the layout is a fixed grid of columns.
func SVG(g Graph) string {
	const (
		rowH   = 34
		boxH   = 24
		colW   = 230
		margin = 16
		width  = margin*2 + colW*3 + 60
	)
	var body strings.Builder
	y := margin
	esc := html.EscapeString
	box := func(x, y int, text, stroke, shape string) {
		if stroke == "" {
			stroke = "#444"
		}
		rx := 3
		if shape == "ellipse" {
			rx = boxH / 2
		}
		fmt.Fprintf(&body, `<rect x="%d" y="%d" width="%d" height="%d" rx="%d" fill="#fff" stroke="%s"/>`+"\n", x, y, colW-20, boxH, rx, stroke)
		fmt.Fprintf(&body, `<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>`+"\n", x+(colW-20)/2, y+16, esc(text))
	}
	line := func(x1, y1, x2, y2 int, label, color string, dashed bool) {
		if color == "" {
			color = "#666"
		}
		dash := ""
		if dashed {
			dash = ` stroke-dasharray="4 3"`
		}
		fmt.Fprintf(&body, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"%s marker-end="url(#arrow)"/>`+"\n", x1, y1, x2, y2, color, dash)
		if label != "" {
			fmt.Fprintf(&body, `<text x="%d" y="%d" font-size="9" fill="#333" text-anchor="middle">%s</text>`+"\n", (x1+x2)/2, (y1+y2)/2-3, esc(label))
		}
	}
	title := func(text string) {
		fmt.Fprintf(&body, `<text x="%d" y="%d" font-size="12" font-weight="bold">%s</text>`+"\n", margin, y+12, esc(text))
		y += 22
	}
	col := func(i int) int { return margin + i*(colW+30) }
	for _, in := range g.Instances {
		title(fmt.Sprintf("VRRP %s (VRID %d, %s)", in.Name, in.VRID, in.Interface))
		rows := max(len(in.VIPs), len(in.Members))
		for i, v := range in.VIPs {
			box(col(0), y+i*rowH, "VIP "+v, "#444", "ellipse")
		}
		for j, m := range in.Members {
			box(col(1), y+j*rowH, m.label(), stateColor(m.State), "")
			for i := range in.VIPs {
				line(col(0)+colW-20, y+i*rowH+boxH/2, col(1), y+j*rowH+boxH/2, "", stateColor(m.State), g.Live && !m.Holds)
			}
		}
		y += rows*rowH + 10
	}
	for _, s := range g.Services {
		title(fmt.Sprintf("LVS %s (managed by %s)", s.label(), s.ManagedBy))
		rows := max(len(s.Directors), len(s.Real), 1)
		mid := y + (rows-1)*rowH/2
		box(col(1), mid, s.Name+" "+s.Address, "#444", "")
		for i, d := range s.Directors {
			box(col(0), y+i*rowH, d+" (director)", "", "")
			line(col(0)+colW-20, y+i*rowH+boxH/2, col(1), mid+boxH/2, "", "", false)
		}
		for i, r := range s.Real {
			color, dashed := "", false
			switch r.liveWord(g.Live) {
			case "up":
				color = "darkgreen"
			case "DOWN":
				color, dashed = "red", true
			}
			box(col(2), y+i*rowH, r.label(), color, "")
			line(col(1)+colW-20, mid+boxH/2, col(2), y+i*rowH+boxH/2, s.Mode, color, dashed)
		}
		y += rows*rowH + 10
	}
	if g.Live {
		title("live: " + g.Verdict)
	}
	height := y + margin
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n", width, height, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#666"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fafafa"/>`+"\n", width, height)
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	return b.String()
}
