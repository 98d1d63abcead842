//! The `condition` expression of a Sigma rule: tokens, parser, syntax tree.

use std::fmt;

/// A parsed condition, before search identifiers are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionExpr {
    And(Box<ConditionExpr>, Box<ConditionExpr>),
    Or(Box<ConditionExpr>, Box<ConditionExpr>),
    Not(Box<ConditionExpr>),
    /// A search identifier by name.
    Search(String),
    /// `1 of pattern`, `all of pattern`, `N of them`.
    Of {
        quantifier: Quantifier,
        target: OfTarget,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    All,
    AtLeast(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfTarget {
    /// `them`: every search identifier not starting with `_`.
    Them,
    /// A name with `*` wildcards.
    Pattern(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError(pub String);

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Of,
    Them,
    All,
    Number(usize),
    Ident(String),
    Pipe,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, ConditionError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Tok::LParen);
            }
            ')' => {
                chars.next();
                tokens.push(Tok::RParen);
            }
            '|' => {
                chars.next();
                tokens.push(Tok::Pipe);
            }
            _ => {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '|' {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                let word = &text[start..end];
                tokens.push(match word.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "of" => Tok::Of,
                    "them" => Tok::Them,
                    "all" => Tok::All,
                    _ => match word.parse::<usize>() {
                        Ok(n) => Tok::Number(n),
                        Err(_) => Tok::Ident(word.to_string()),
                    },
                });
            }
        }
    }
    Ok(tokens)
}

/// Parses a condition with Sigma's precedence: `or` < `and` < `not` < `x of` < brackets.
pub fn parse(text: &str) -> Result<ConditionExpr, ConditionError> {
    let tokens = tokenize(text)?;
    if tokens.contains(&Tok::Pipe) {
        return Err(ConditionError(format!(
            "condition '{text}' uses a pipe aggregation (deprecated Sigma 1 syntax); \
             express it as a correlation rule"
        )));
    }
    let mut parser = Parser { tokens, pos: 0 };
    let expr = parser.or()?;
    if parser.pos != parser.tokens.len() {
        return Err(ConditionError(format!(
            "condition '{text}': unexpected {:?} at token {}",
            parser.tokens[parser.pos],
            parser.pos + 1
        )));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let tok = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        tok
    }

    fn or(&mut self) -> Result<ConditionExpr, ConditionError> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            let right = self.and()?;
            left = ConditionExpr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<ConditionExpr, ConditionError> {
        let mut left = self.not()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            let right = self.not()?;
            left = ConditionExpr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<ConditionExpr, ConditionError> {
        if self.peek() == Some(&Tok::Not) {
            self.pos += 1;
            return Ok(ConditionExpr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<ConditionExpr, ConditionError> {
        match self.next() {
            Some(Tok::LParen) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(inner),
                    _ => Err(ConditionError("unbalanced '(' in condition".into())),
                }
            }
            Some(Tok::All) => self.of(Quantifier::All),
            Some(Tok::Number(n)) => self.of(Quantifier::AtLeast(n)),
            Some(Tok::Ident(name)) => Ok(ConditionExpr::Search(name)),
            Some(other) => Err(ConditionError(format!(
                "unexpected {other:?} where a search identifier was expected"
            ))),
            None => Err(ConditionError("condition ends too early".into())),
        }
    }

    fn of(&mut self, quantifier: Quantifier) -> Result<ConditionExpr, ConditionError> {
        if self.next() != Some(Tok::Of) {
            return Err(ConditionError("expected 'of' after a quantifier".into()));
        }
        let target = match self.next() {
            Some(Tok::Them) => OfTarget::Them,
            Some(Tok::Ident(pattern)) => OfTarget::Pattern(pattern),
            other => {
                return Err(ConditionError(format!(
                    "expected 'them' or a search identifier pattern after 'of', found {other:?}"
                )))
            }
        };
        Ok(ConditionExpr::Of { quantifier, target })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConditionExpr::*;

    fn s(name: &str) -> Box<ConditionExpr> {
        Box::new(Search(name.into()))
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            parse("a or b and c").unwrap(),
            Or(s("a"), Box::new(And(s("b"), s("c"))))
        );
    }

    #[test]
    fn not_binds_tighter_than_and() {
        assert_eq!(
            parse("not a and b").unwrap(),
            And(Box::new(Not(s("a"))), s("b"))
        );
    }

    #[test]
    fn brackets_override_precedence() {
        assert_eq!(
            parse("a and (b or c)").unwrap(),
            And(s("a"), Box::new(Or(s("b"), s("c"))))
        );
    }

    #[test]
    fn quantifiers_parse() {
        assert_eq!(
            parse("1 of selection_* and not all of filter*").unwrap(),
            And(
                Box::new(Of {
                    quantifier: Quantifier::AtLeast(1),
                    target: OfTarget::Pattern("selection_*".into())
                }),
                Box::new(Not(Box::new(Of {
                    quantifier: Quantifier::All,
                    target: OfTarget::Pattern("filter*".into())
                })))
            )
        );
        assert_eq!(
            parse("all of them").unwrap(),
            Of {
                quantifier: Quantifier::All,
                target: OfTarget::Them
            }
        );
        assert_eq!(
            parse("2 of them").unwrap(),
            Of {
                quantifier: Quantifier::AtLeast(2),
                target: OfTarget::Them
            }
        );
    }

    #[test]
    fn keywords_are_case_insensitive_and_brackets_may_touch() {
        assert_eq!(parse("(a)AND(b)").unwrap(), And(s("a"), s("b")));
        assert_eq!(
            parse("(a) AND NOT (b)").unwrap(),
            And(s("a"), Box::new(Not(s("b"))))
        );
    }

    #[test]
    fn errors_are_reported() {
        assert!(parse("a and").is_err());
        assert!(parse("(a or b").is_err());
        assert!(parse("a b").is_err());
        assert!(parse("selection | count() > 5").is_err());
        assert!(parse("1 selection").is_err());
    }
}
