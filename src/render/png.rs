//! The PNG backend of the charts: plotters' bitmap, with text laid out glyph by glyph on one
//! baseline at sub-pixel positions. Plotters' own bitmap text places each glyph by truncating its
//! offset towards zero, which lifts small punctuation off the line: an English `85.0 %` read as
//! `85·0 %`, an Italian `1.234` as `1·234`. Everything but text is drawn by plotters as before.

use ab_glyph::{Font, FontRef, ScaleFont, point};
use plotters::prelude::BitMapBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// A bitmap whose text is drawn with `font`.
pub struct Png<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> Png<'a> {
    pub fn new(inner: BitMapBackend<'a>, font: FontRef<'static>) -> Png<'a> {
        Png { inner, font }
    }
}

/// Each pixel `text` covers at `size` (plotters' size: the font's height in pixels), with its
/// coverage, relative to the top left of plotters' layout box, whose baseline lies half the size
/// down (as plotters places it, so the SVG and the PNG agree).
pub fn glyph_pixels(font: &FontRef<'_>, size: f32, text: &str) -> Vec<(i32, i32, f32)> {
    let scaled = font.as_scaled(size);
    let baseline = size / 2.0;
    let mut caret = 0f32;
    let mut previous = None;
    let mut out = Vec::new();
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(scaled.scale(), point(caret, baseline));
        if let Some(outline) = scaled.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let (x0, y0) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|x, y, coverage| out.push((x0 + x as i32, y0 + y as i32, coverage)));
        }
        caret += scaled.h_advance(id);
    }
    out
}

impl DrawingBackend for Png<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    /// Plotters' anchoring and rotation, with the glyphs of `glyph_pixels`.
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        for (x, y, coverage) in glyph_pixels(&self.font, style.size() as f32, text) {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                let alpha = color.alpha * f64::from(coverage.clamp(0.0, 1.0));
                self.inner
                    .draw_pixel((x, y), BackendColor { alpha, ..color })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;
    use plotters::style::text_anchor::Pos;

    /// The lowest pixel row `text` inks (dark enough to be seen) when drawn through `Png` at
    /// `size`, anchored as the tiles anchor their text.
    fn bottom(text: &str, size: u32) -> u32 {
        let (w, h) = (60u32, 60u32);
        let mut buffer = vec![255u8; (w * h * 3) as usize];
        {
            let font = FontRef::try_from_slice(super::super::charts::FONT).expect("the font");
            let png = Png::new(BitMapBackend::with_buffer(&mut buffer, (w, h)), font);
            let root = png.into_drawing_area();
            super::super::charts::register_fonts();
            let style = ("sans-serif", size)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(text, (10, 30), style)).expect("drawn");
            root.present().expect("presented");
        }
        (0..h)
            .filter(|y| (0..w).any(|x| buffer[((y * w + x) * 3) as usize] < 215))
            .max()
            .expect("inked pixels")
    }

    #[test]
    fn decimal_points_and_commas_sit_on_the_digits_baseline() {
        for size in [10, 11, 12, 13, 14, 19, 28] {
            let digits = bottom("14", size);
            // A point sits on the baseline as the digits do (not lifted to read as `85·0`); a
            // comma hangs from it.
            assert_eq!(bottom(".", size), digits, "a point at {size} px");
            let comma = bottom(",", size);
            assert!(
                comma >= digits && comma <= digits + size.div_ceil(4),
                "a comma at {size} px: {comma} against {digits}"
            );
        }
    }
}
