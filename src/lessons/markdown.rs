//! The small part of Markdown the lesson texts use, parsed into a tree and
//! rendered as elements and text nodes. Never as HTML: `<`, `&` and the rest
//! are shown as written, so no text can inject markup.
//!
//! Supported: `#`..`###` headings, paragraphs (lines joined by a space), `- `
//! or `* ` list items, `**bold**` and `` `code` ``. Anything else (links,
//! emphasis, tables) is shown as its literal text; an unmatched `**` or
//! backtick too.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Text(String),
    Strong(String),
    Code(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Level 1 to 3, and the heading's text.
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    List(Vec<Vec<Inline>>),
}

/// The blocks of a Markdown text.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut items: Vec<String> = Vec::new();
    let flush_para = |para: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(inlines(&para.join(" "))));
            para.clear();
        }
    };
    let flush_list = |items: &mut Vec<String>, blocks: &mut Vec<Block>| {
        if !items.is_empty() {
            blocks.push(Block::List(items.iter().map(|i| inlines(i)).collect()));
            items.clear();
        }
    };
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            flush_para(&mut para, &mut blocks);
            flush_list(&mut items, &mut blocks);
            continue;
        }
        if let Some((level, rest)) = heading(trimmed) {
            flush_para(&mut para, &mut blocks);
            flush_list(&mut items, &mut blocks);
            blocks.push(Block::Heading(level, inlines(rest)));
        } else if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
            flush_para(&mut para, &mut blocks);
            items.push(item.trim().to_string());
        } else if !items.is_empty() && line.starts_with(' ') {
            // An indented line continues the list item above.
            if let Some(last) = items.last_mut() {
                last.push(' ');
                last.push_str(trimmed);
            }
        } else {
            flush_list(&mut items, &mut blocks);
            para.push(trimmed);
        }
    }
    flush_para(&mut para, &mut blocks);
    flush_list(&mut items, &mut blocks);
    blocks
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    if (1..=3).contains(&hashes) {
        line[hashes..].strip_prefix(' ').map(|rest| (hashes as u8, rest.trim()))
    } else {
        None
    }
}

/// The inline pieces of one paragraph or item.
pub fn inlines(text: &str) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let strong = rest
            .strip_prefix("**")
            .and_then(|r| r.find("**").filter(|&end| end > 0).map(|end| (&r[..end], &r[end + 2..])));
        let code = rest
            .strip_prefix('`')
            .and_then(|r| r.find('`').filter(|&end| end > 0).map(|end| (&r[..end], &r[end + 1..])));
        let piece = match (strong, code) {
            (Some((inner, after)), _) => Some((Inline::Strong(inner.to_string()), after)),
            (None, Some((inner, after))) => Some((Inline::Code(inner.to_string()), after)),
            _ => None,
        };
        match piece {
            Some((inline, after)) => {
                if !plain.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut plain)));
                }
                out.push(inline);
                rest = after;
            }
            None => {
                let c = rest.chars().next().expect("not empty");
                plain.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
    out
}

/// The plain text of some inlines (for titles and labels).
pub fn plain_text(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) | Inline::Strong(t) | Inline::Code(t) => t.as_str(),
        })
        .collect()
}

/// Inlines as text nodes, `<strong>` and `<code>`.
pub fn inline_view(parts: &[Inline]) -> impl IntoView {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => t.clone().into_any(),
            Inline::Strong(t) => view! { <strong>{t.clone()}</strong> }.into_any(),
            Inline::Code(t) => view! { <code>{t.clone()}</code> }.into_any(),
        })
        .collect_view()
}

/// Blocks as elements. Headings are shifted down by `shift` levels (a
/// lesson's `##` sits under the panel's own heading).
pub fn blocks_view(blocks: &[Block], shift: u8) -> impl IntoView {
    blocks
        .iter()
        .map(|b| match b {
            Block::Heading(level, parts) => match (level + shift).min(6) {
                1 | 2 => view! { <h2>{inline_view(parts)}</h2> }.into_any(),
                3 => view! { <h3>{inline_view(parts)}</h3> }.into_any(),
                4 => view! { <h4>{inline_view(parts)}</h4> }.into_any(),
                _ => view! { <h5>{inline_view(parts)}</h5> }.into_any(),
            },
            Block::Paragraph(parts) => view! { <p>{inline_view(parts)}</p> }.into_any(),
            Block::List(items) => view! {
                <ul>{items.iter().map(|i| view! { <li>{inline_view(i)}</li> }).collect_view()}</ul>
            }
            .into_any(),
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Inline::*;

    fn t(s: &str) -> Inline {
        Text(s.into())
    }

    #[test]
    fn headings_paragraphs_and_lists() {
        let md = "# 4. Title\n\nFirst line\nsecond line.\n\n## Try this\n\n- one **A**\n- two\n  continued\n\n## Goal\n\nDo it.\n";
        assert_eq!(
            parse(md),
            vec![
                Block::Heading(1, vec![t("4. Title")]),
                Block::Paragraph(vec![t("First line second line.")]),
                Block::Heading(2, vec![t("Try this")]),
                Block::List(vec![vec![t("one "), Strong("A".into())], vec![t("two continued")]]),
                Block::Heading(2, vec![t("Goal")]),
                Block::Paragraph(vec![t("Do it.")]),
            ]
        );
    }

    #[test]
    fn bold_and_code_and_unmatched_markers() {
        assert_eq!(
            inlines("Select **web-1** and `x`."),
            vec![t("Select "), Strong("web-1".into()), t(" and "), Code("x".into()), t(".")]
        );
        assert_eq!(inlines("a ** b"), vec![t("a ** b")]);
        assert_eq!(inlines("2 * 3 `x"), vec![t("2 * 3 `x")]);
        assert_eq!(inlines("****"), vec![t("****")]);
        assert_eq!(inlines("é **ü**"), vec![t("é "), Strong("ü".into())]);
    }

    #[test]
    fn markup_stays_text() {
        let blocks = parse("<script>alert(1)</script> & [link](javascript:x)");
        assert_eq!(blocks, vec![Block::Paragraph(vec![t("<script>alert(1)</script> & [link](javascript:x)")])]);
        // "#tag" without a space is not a heading; four hashes are not either.
        assert_eq!(parse("#tag"), vec![Block::Paragraph(vec![t("#tag")])]);
        assert_eq!(parse("#### deep"), vec![Block::Paragraph(vec![t("#### deep")])]);
    }

    #[test]
    fn html_in_every_kind_of_block_stays_text() {
        // The tree holds only text, strong and code; the views render each as
        // a text node (Leptos sets textContent), so nothing here can become an
        // element or run: the markup survives as the characters written.
        const XSS: &str = "<img src=x onerror=\"window.__xss=1\">";
        let md = format!("## {XSS}\n\n{XSS} **{XSS}** `{XSS}`\n\n- {XSS}\n  {XSS}\n");
        assert_eq!(
            parse(&md),
            vec![
                Block::Heading(2, vec![t(XSS)]),
                Block::Paragraph(vec![t(&format!("{XSS} ")), Strong(XSS.into()), t(" "), Code(XSS.into())]),
                Block::List(vec![vec![t(&format!("{XSS} {XSS}"))]]),
            ]
        );
        // Entities are not decoded either: "&lt;" stays four characters.
        assert_eq!(parse("&lt;b&gt;"), vec![Block::Paragraph(vec![t("&lt;b&gt;")])]);
    }

    #[test]
    fn plain_text_joins_the_pieces() {
        assert_eq!(plain_text(&inlines("Fail **web-1** now")), "Fail web-1 now");
    }
}
