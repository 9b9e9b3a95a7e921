import { describeShard, MATRIX_PARTS, useMatrixWorld } from './world.ts';

/** Part 2 of the authorization matrix (matrix.test.ts says what it checks). */
describeShard(useMatrixWorld(), 1, MATRIX_PARTS);
