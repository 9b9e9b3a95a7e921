import { Hono, type Context } from 'hono';
import {
  POST_STATES,
  POST_STATUSES,
  createPost,
  deletePost,
  getPost,
  listPosts,
  postFromForm,
  postState,
  setPublished,
  staffCover,
  updatePost,
  type BlogPost,
  type PostState,
} from '../../../../domain/content/blog.ts';
import { listCategoriesForStaff } from '../../../../domain/content/blog-categories.ts';
import { COVER_MAX_BYTES } from '../../../../domain/content/blog-cover.ts';
import { actorOf } from '../../../actor.ts';
import { formFiles } from '../../../attachments.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { adminBlogCategoryPages } from './blog-categories.ts';
import { sendCover } from '../../public/blog.ts';

const layout = 'admin' as const;
const LIST = '/admin/content/blog';

/** A time as the form's `datetime-local` field shows it: UTC, to the minute. */
const utcMinute = (d: Date | null) => (d ? d.toISOString().slice(0, 16) : '');

const formValues = (p: BlogPost): Record<string, string> => ({
  title: p.title,
  slug: p.slug,
  summary: p.summary,
  body: p.body,
  categoryId: p.categoryId ?? '',
  tags: p.tags.join(', '),
  coverAlt: p.coverAlt,
  status: p.status,
  publishedAt: utcMinute(p.publishedAt),
});

/**
 * /admin/content/blog: the blog's posts (issue 16 item 4): the list by state (draft, scheduled,
 * published), new and edit forms with a cover image upload (multipart, CSRF in the form),
 * publish, unpublish, delete; categories under /categories. Bad input answers 422 with the form
 * and what was typed (a chosen file must be chosen again).
 */
export function adminBlogPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.route('/categories', adminBlogCategoryPages(deps, view));

  const form = async (c: Context, post: BlogPost | null) => ({
    template: 'admin/content/blog/form',
    data: {
      post,
      state: post ? postState(post, deps.clock.now()) : null,
      categories: await listCategoriesForStaff(deps, actorOf(c)),
      statuses: POST_STATUSES,
      maxCoverMb: COVER_MAX_BYTES / (1024 * 1024),
    },
    options: { layout, title: post ? `Blog post: ${post.title}` : 'New blog post' },
  });
  const input = async (c: Context) => {
    const values = await formData(c);
    const [cover] = await formFiles(c, 'cover');
    return { values, input: { ...postFromForm(values), cover, removeCover: values.removeCover === 'on' } };
  };

  app.get('/', async (c) => {
    const state = POST_STATES.find((s) => s === c.req.query('state')) ?? null;
    const posts = await listPosts(deps, actorOf(c), { state });
    const now = deps.clock.now();
    const rows = posts.map((p) => ({ ...p, state: postState(p, now) }));
    return view.page(c, 'admin/content/blog/index', { posts: rows, state }, { layout, title: 'Blog' });
  });

  app.get('/new', async (c) => {
    const f = await form(c, null);
    const values = { status: 'draft' };
    return view.page(c, f.template, { ...f.data, values, errors: {}, message: null }, f.options);
  });

  app.post('/', async (c) => {
    const { values, input: raw } = await input(c);
    return submitForm(c, view, { ...(await form(c, null)), values }, async () => {
      const p = await createPost(deps, actorOf(c), raw);
      flash(c, `“${p.title}” is saved${stateSaid(postState(p, deps.clock.now()))}.`);
      return redirect(c, LIST);
    });
  });

  app.get('/covers/:fileId', async (c) => {
    const file = await staffCover(deps, actorOf(c), c.req.param('fileId'));
    return file ? sendCover(c, file, 'private, no-store') : c.notFound();
  });

  app.get('/:id', async (c) => {
    const p = await getPost(deps, actorOf(c), c.req.param('id'));
    const f = await form(c, p);
    return view.page(c, f.template, { ...f.data, values: formValues(p), errors: {}, message: null }, f.options);
  });

  app.post('/:id', async (c) => {
    const p = await getPost(deps, actorOf(c), c.req.param('id'));
    const { values, input: raw } = await input(c);
    return submitForm(c, view, { ...(await form(c, p)), values }, async () => {
      const saved = await updatePost(deps, actorOf(c), p.id, raw);
      flash(c, `“${saved.title}” is saved${stateSaid(postState(saved, deps.clock.now()))}.`);
      return redirect(c, LIST);
    });
  });

  app.post('/:id/publication', async (c) => {
    const p = await setPublished(deps, actorOf(c), c.req.param('id'), true);
    const scheduled = postState(p, deps.clock.now()) === 'scheduled';
    flash(c, scheduled ? `“${p.title}” is scheduled (${utcMinute(p.publishedAt)} UTC).` : `“${p.title}” is published.`);
    return redirect(c, LIST);
  });

  app.post('/:id/publication/delete', async (c) => {
    const p = await setPublished(deps, actorOf(c), c.req.param('id'), false);
    flash(c, `“${p.title}” is unpublished: a draft again.`);
    return redirect(c, LIST);
  });

  app.post('/:id/delete', async (c) => {
    const p = await getPost(deps, actorOf(c), c.req.param('id'));
    await deletePost(deps, actorOf(c), p.id);
    flash(c, `“${p.title}” is deleted.`);
    return redirect(c, LIST);
  });

  return app;
}

const stateSaid = (s: PostState) =>
  s === 'draft' ? ' as a draft' : s === 'scheduled' ? ' and scheduled' : ' and published on the blog';
