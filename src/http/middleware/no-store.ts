import type { RequestHandler, Response } from 'express';

/** RFC 6749 §5.1: responses carrying tokens or credentials must not be cached. */
export function setNoStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

export const noStore: RequestHandler = (_req, res, next) => {
  setNoStore(res);
  next();
};
